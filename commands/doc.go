// Package commands is kickbot's transport-free core: the /kick grammar, the
// permission policy, resolving targets against a meeting's roster, one use
// case per action and its result model, and the sentences that describe a
// result (Summary, OutcomeLine…) in a Markup each surface supplies.
//
// Each action has one entry point that does its own reads (the roster, the
// invite list) and returns an outcome value; Slack's slash command, its
// buttons and the console call the same one:
//
//	kick, sweep          Service.Kick
//	list, Refresh        Service.List
//	uninvited            Service.ListUninvited
//	hold                 Service.Hold
//	admit, admit all     Service.Admit, Service.AdmitAll
//	lock, unlock         Locks.Do
//	watch                AwaitLive (the watch itself is the meeting client's)
//
// A failure is told with UserMessage, which names the meeting
// ("Meeting 914083136 was not found") on every surface: the use cases'
// errors carry their meeting, and renderers pass any other through
// InMeeting.
//
// Adding an action means: its use case here (and its word in the grammar),
// one Slack renderer in bot/slackui with its handler in bot (reporting
// through the bot's reporter), one console renderer in textui with its
// handler in cmd/kickbot, and tests.
//
// It knows neither Slack's wire format nor HTTP: Block Kit, action IDs,
// button values and Slack's size budgets live in bot/slackui, plain text
// for the console in textui. It uses the meeting package only for its
// types: the meeting client is reached through the Meeting interface
// declared here. TestCoreImports enforces this.
//
// State shared by several replicas is reached the same way: Claims takes a
// ClaimStore (WithClaimStore) and Locks a TimerStore (WithTimerStore),
// interfaces declared here that redisstate's and memstate's types satisfy;
// only package state (their values and errors) is imported. Without them,
// claims and auto-unlock timers are this process's own, as for one replica.
package commands
