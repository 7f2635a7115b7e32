// Package commands is kickbot's transport-free core: the /kick grammar, the
// permission policy, resolving targets against a meeting's roster, the kick
// use case and its result model, and rendering results as Block Kit messages
// and as plain text.
//
// It knows neither Slack's wire format nor HTTP. It uses slack-go only for
// its Block Kit types, and the meeting package only for its types: the
// meeting client is reached through the Meeting interface declared here.
package commands
