package config

import (
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// Defaults is the configuration with no variable set. Config's `default`
// tags are the one place a default is written; Defaults reads them, so
// bot.Config's zero values and the console's simulator session take the
// same numbers as a deployment that sets nothing.
func Defaults() Config {
	var c Config
	v := reflect.ValueOf(&c).Elem()
	for i := range v.NumField() {
		def, ok := v.Type().Field(i).Tag.Lookup("default")
		if !ok {
			continue
		}
		if err := setDefault(v.Field(i), def); err != nil {
			panic(fmt.Sprintf("config: the default of %s: %v", v.Type().Field(i).Name, err))
		}
	}
	return c
}

// setDefault parses a default tag as envconfig does for the kinds Config's
// defaults use: strings, whole numbers, durations and booleans.
func setDefault(f reflect.Value, s string) error {
	switch {
	case f.Type() == reflect.TypeOf(time.Duration(0)):
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
	case f.Kind() == reflect.String:
		f.SetString(s)
	case f.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(n))
	case f.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.SetBool(b)
	default:
		return fmt.Errorf("a %s default is not supported", f.Type())
	}
	return nil
}

// consoleFields are the variables `kickbot console --real` reads, by
// Config field, so that a bad Slack or worker setting in a shared .env
// cannot stop a local session. They are the rules that mean something
// without Slack: the meeting, the targets and sweep caps, the conferences
// KICK_CONFERENCES allows, the audit file and the log.
var consoleFields = []string{
	"MeetingAPIURL", "MeetingAppID", "MeetingAppKey", "MeetingUserID", "MeetingAccount", "MeetingPassword",
	"MeetingTimeout", "MeetingMaxPerHangUp", "KickConferences", "MaxTargets", "MaxSweep",
	"AuditFile", "LogLevel", "LogFormat",
}

// processFields runs envconfig over only the named fields of c, with
// Config's own tags: a struct of just those fields is built from Config's
// type, processed, and copied back.
func processFields(c *Config, names []string) error {
	ct := reflect.TypeOf(*c)
	fields := make([]reflect.StructField, len(names))
	for i, name := range names {
		f, ok := ct.FieldByName(name)
		if !ok {
			panic("config: no field " + name)
		}
		fields[i] = reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag}
	}
	sub := reflect.New(reflect.StructOf(fields))
	if err := envconfig.Process("", sub.Interface()); err != nil {
		return err
	}
	cv := reflect.ValueOf(c).Elem()
	for i, name := range names {
		cv.FieldByName(name).Set(sub.Elem().Field(i))
	}
	return nil
}
