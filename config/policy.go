package config

import "github.com/kickbot/kickbot/commands"

// Policy turns the KICK_* settings into the commands package's policy.
func (c Config) Policy() commands.Policy {
	p := commands.Policy{
		Channels:   make(map[string]bool, len(c.KickChannels)),
		Users:      make(map[string]bool, len(c.KickUsers)),
		Usergroups: append([]string(nil), c.KickUsergroups...),
	}
	for _, ch := range c.KickChannels {
		p.Channels[ch] = true
	}
	for _, u := range c.KickUsers {
		p.Users[u] = true
	}
	if len(c.KickConferences) > 0 {
		p.Conferences = make(map[string][]string, len(c.KickConferences))
		for ch, ids := range c.KickConferences {
			p.Conferences[ch] = append([]string(nil), ids...)
		}
	}
	return p
}
