package config

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func getenv(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

func TestLoadReadsEachVariableOrItsDefault(t *testing.T) {
	defaults := Config{
		Port:            DefaultPort,
{%- if cookiecutter.enable_pprof %}
		PprofAddr:       DefaultPprofAddr,
{%- endif %}
		LogLevel:        slog.LevelInfo,
		ShutdownDrain:   5 * time.Second,
		ShutdownTimeout: 20 * time.Second,
	}
	with := func(change func(*Config)) Config {
		cfg := defaults
		change(&cfg)
		return cfg
	}
	tests := []struct {
		name string
		env  map[string]string
		want Config
	}{
		{"no environment gives the defaults", nil, defaults},
		{"empty values give the defaults", map[string]string{"PORT": "", "LOG_LEVEL": "", "SHUTDOWN_DRAIN": ""}, defaults},
		{"port", map[string]string{"PORT": "9090"}, with(func(c *Config) { c.Port = 9090 })},
		{"port 0 picks a free port", map[string]string{"PORT": "0"}, with(func(c *Config) { c.Port = 0 })},
{%- if cookiecutter.enable_pprof %}
		{"pprof address", map[string]string{"PPROF_ADDR": "0.0.0.0:7070"}, with(func(c *Config) { c.PprofAddr = "0.0.0.0:7070" })},
		{"pprof off", map[string]string{"PPROF_ADDR": "off"}, with(func(c *Config) { c.PprofAddr = "" })},
{%- endif %}
		{"log level in lower case", map[string]string{"LOG_LEVEL": "debug"}, with(func(c *Config) { c.LogLevel = slog.LevelDebug })},
		{"log level in upper case", map[string]string{"LOG_LEVEL": "WARN"}, with(func(c *Config) { c.LogLevel = slog.LevelWarn })},
		{"log level with an offset", map[string]string{"LOG_LEVEL": "ERROR+2"}, with(func(c *Config) { c.LogLevel = slog.LevelError + 2 })},
		{"drain", map[string]string{"SHUTDOWN_DRAIN": "300ms"}, with(func(c *Config) { c.ShutdownDrain = 300 * time.Millisecond })},
		{"no drain", map[string]string{"SHUTDOWN_DRAIN": "0s"}, with(func(c *Config) { c.ShutdownDrain = 0 })},
		{"timeout", map[string]string{"SHUTDOWN_TIMEOUT": "1m"}, with(func(c *Config) { c.ShutdownTimeout = time.Minute })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Load(getenv(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got != tt.want {
				t.Errorf("Load = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLoadRejectsBadValuesNamingVariableAndValue(t *testing.T) {
	tests := []struct {
		name, value string
	}{
		{"PORT", "http"},
		{"PORT", "-1"},
		{"PORT", "65536"},
{%- if cookiecutter.enable_pprof %}
		{"PPROF_ADDR", "6060"},
		{"PPROF_ADDR", "localhost:pprof"},
		{"PPROF_ADDR", "127.0.0.1:99999"},
{%- endif %}
		{"LOG_LEVEL", "verbose"},
		{"SHUTDOWN_DRAIN", "5"},
		{"SHUTDOWN_DRAIN", "-1s"},
		{"SHUTDOWN_TIMEOUT", "soon"},
		{"SHUTDOWN_TIMEOUT", "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			_, err := Load(getenv(map[string]string{tt.name: tt.value}))
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load error = %v, want one wrapping ErrInvalid", err)
			}
			if want := tt.name + `="` + tt.value + `"`; !strings.Contains(err.Error(), want) {
				t.Errorf("Load error = %q, want it to contain %q", err, want)
			}
		})
	}
}

func TestLoadReportsEveryBadVariableAtOnce(t *testing.T) {
	_, err := Load(getenv(map[string]string{"PORT": "x", "LOG_LEVEL": "loud", "SHUTDOWN_TIMEOUT": "y"}))
	for _, name := range []string{"PORT", "LOG_LEVEL", "SHUTDOWN_TIMEOUT"} {
		if err == nil || !strings.Contains(err.Error(), name+"=") {
			t.Errorf("Load error = %v, want it to name %s", err, name)
		}
	}
}
