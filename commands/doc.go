// Package commands is kickbot's transport-free core: the /kick grammar, the
// permission policy, resolving targets against a meeting's roster, the kick
// use case and its result model, and the sentences that describe a result
// (Summary, OutcomeLine…) in a Markup each surface supplies.
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
