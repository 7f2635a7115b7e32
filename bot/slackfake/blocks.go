package slackfake

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Slack's message limits (slack-platform.md §4). Lengths are counted in characters.
const (
	maxBlocks         = 50
	maxTextLen        = 40000 // message text; Slack: msg_too_long
	maxSectionText    = 3000
	maxSectionFields  = 10
	maxFieldText      = 2000
	maxHeaderText     = 150
	maxContextElems   = 10
	maxActionsElems   = 25
	maxButtonText     = 75
	maxButtonValue    = 2000
	maxURL            = 3000
	maxID             = 255 // action_id, block_id
	maxSelectOptions  = 100
	maxConfirmTitle   = 100
	maxConfirmText    = 300
	maxConfirmButtons = 30
	// maxBlocksText is the total of every text in a message's blocks above which Slack answers
	// msg_blocks_too_long. Slack documents no number; about 13,000 characters has been reported,
	// so the fake refuses more than 13,000.
	maxBlocksText = 13000
)

// blockCheck collects what is wrong with a message's blocks, in Slack's wording
// ("… [json-pointer:/blocks/0/text/text]").
type blockCheck struct {
	errs []string
}

func (c *blockCheck) fail(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...)+" [json-pointer:"+path+"]")
}

func chars(s string) int { return utf8.RuneCountInString(s) }

// maxLen checks an optional string field of obj.
func (c *blockCheck) maxLen(obj map[string]any, field, path string, limit int) {
	v, ok := obj[field]
	if !ok {
		return
	}
	s, isStr := v.(string)
	switch {
	case !isStr:
		c.fail(path+"/"+field, "must be a string")
	case chars(s) > limit:
		c.fail(path+"/"+field, "must be less than %d characters", limit+1)
	}
}

// textObject checks a composition text object; limit 0 means no length limit of its own.
func (c *blockCheck) textObject(v any, path string, plainOnly bool, limit int) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an object")
		return
	}
	switch obj["type"] {
	case "plain_text":
	case "mrkdwn":
		if plainOnly {
			c.fail(path+"/type", "must be plain_text")
		}
	default:
		c.fail(path+"/type", "must be plain_text or mrkdwn")
	}
	s, ok := obj["text"].(string)
	switch {
	case !ok:
		c.fail(path+"/text", "must be a string")
	case s == "":
		c.fail(path+"/text", "must be more than 0 characters")
	case limit > 0 && chars(s) > limit:
		c.fail(path+"/text", "must be less than %d characters", limit+1)
	}
}

func (c *blockCheck) confirm(v any, path string) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an object")
		return
	}
	c.textObject(obj["title"], path+"/title", true, maxConfirmTitle)
	c.textObject(obj["text"], path+"/text", false, maxConfirmText)
	c.textObject(obj["confirm"], path+"/confirm", true, maxConfirmButtons)
	c.textObject(obj["deny"], path+"/deny", true, maxConfirmButtons)
}

// element checks an interactive element (actions block, section accessory); it returns its
// action_id ("" if none).
func (c *blockCheck) element(v any, path string) string {
	el, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an object")
		return ""
	}
	c.maxLen(el, "action_id", path, maxID)
	if conf, ok := el["confirm"]; ok {
		c.confirm(conf, path+"/confirm")
	}
	switch el["type"] {
	case "button":
		c.textObject(el["text"], path+"/text", true, maxButtonText)
		c.maxLen(el, "value", path, maxButtonValue)
		c.maxLen(el, "url", path, maxURL)
		if st, ok := el["style"]; ok && st != "primary" && st != "danger" {
			c.fail(path+"/style", "must be one of primary, danger")
		}
	case "static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes":
		if opts, ok := el["options"].([]any); ok && len(opts) > maxSelectOptions {
			c.fail(path+"/options", "must provide no more than %d items", maxSelectOptions)
		}
	case "image", "users_select", "conversations_select", "channels_select", "external_select",
		"multi_users_select", "multi_conversations_select", "multi_channels_select",
		"multi_external_select", "datepicker", "timepicker", "datetimepicker", "plain_text_input",
		"email_text_input", "url_text_input", "number_input", "workflow_button", "rich_text_input":
	default:
		c.fail(path+"/type", "unknown element type")
	}
	id, _ := el["action_id"].(string)
	return id
}

func (c *blockCheck) block(v any, path string, blockIDs map[string]bool) {
	b, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "must be an object")
		return
	}
	c.maxLen(b, "block_id", path, maxID)
	if id, ok := b["block_id"].(string); ok && id != "" {
		if blockIDs[id] {
			c.fail(path+"/block_id", "duplicate block_id")
		}
		blockIDs[id] = true
	}
	switch b["type"] {
	case "section":
		text, hasText := b["text"]
		fields, hasFields := b["fields"].([]any)
		if !hasText && !hasFields {
			c.fail(path, "must provide text or fields")
		}
		if hasText {
			c.textObject(text, path+"/text", false, maxSectionText)
		}
		if len(fields) > maxSectionFields {
			c.fail(path+"/fields", "must provide no more than %d items", maxSectionFields)
		}
		for i, f := range fields {
			c.textObject(f, fmt.Sprintf("%s/fields/%d", path, i), false, maxFieldText)
		}
		if acc, ok := b["accessory"]; ok {
			c.element(acc, path+"/accessory")
		}
	case "actions":
		els, _ := b["elements"].([]any)
		switch {
		case len(els) == 0:
			c.fail(path+"/elements", "must provide at least 1 item")
		case len(els) > maxActionsElems:
			c.fail(path+"/elements", "must provide no more than %d items", maxActionsElems)
		}
		seen := map[string]bool{}
		for i, e := range els {
			id := c.element(e, fmt.Sprintf("%s/elements/%d", path, i))
			if id != "" && seen[id] {
				c.fail(fmt.Sprintf("%s/elements/%d/action_id", path, i), "duplicate action_id within block")
			}
			seen[id] = true
		}
	case "context":
		els, _ := b["elements"].([]any)
		switch {
		case len(els) == 0:
			c.fail(path+"/elements", "must provide at least 1 item")
		case len(els) > maxContextElems:
			c.fail(path+"/elements", "must provide no more than %d items", maxContextElems)
		}
	case "header":
		c.textObject(b["text"], path+"/text", true, maxHeaderText)
	case "image":
		c.maxLen(b, "image_url", path, maxURL)
	case "divider", "rich_text", "input", "file", "video", "markdown":
	default:
		c.fail(path+"/type", "unknown block type")
	}
}

// checkMessage validates text and blocks like Slack. It returns the blocks (nil if absent), the
// Slack error ("" if fine) and, for invalid_blocks, Slack-style details.
func checkMessage(text string, blocksField string, hasBlocks bool) (json.RawMessage, string, []string) {
	if chars(text) > maxTextLen {
		return nil, "msg_too_long", nil
	}
	if !hasBlocks {
		return nil, "", nil
	}
	var bs []any
	if err := json.Unmarshal([]byte(blocksField), &bs); err != nil {
		return nil, "invalid_blocks_format", nil
	}
	var c blockCheck
	if len(bs) > maxBlocks {
		c.fail("/blocks", "must provide no more than %d items", maxBlocks)
	}
	ids := map[string]bool{}
	for i, b := range bs {
		c.block(b, fmt.Sprintf("/blocks/%d", i), ids)
	}
	if len(c.errs) > 0 {
		return nil, "invalid_blocks", c.errs
	}
	var texts []string
	collectTexts(bs, &texts)
	total := 0
	for _, t := range texts {
		total += chars(t)
	}
	if total > maxBlocksText {
		return nil, "msg_blocks_too_long", nil
	}
	return json.RawMessage(blocksField), "", nil
}
