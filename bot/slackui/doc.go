// Package slackui renders the core's results (package commands) as Slack
// messages: Block Kit blocks, mrkdwn escaping, action IDs, button values
// and the size budgets of chat.postMessage. The bot package posts what it
// renders; nothing here talks to Slack.
package slackui
