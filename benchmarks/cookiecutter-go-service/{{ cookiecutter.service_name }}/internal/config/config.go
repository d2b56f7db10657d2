// Package config reads the service's settings from its environment.
//
// Every setting has a default, so the service starts with no environment at all. A variable that
// is unset or empty takes its default.
//
//	PORT              TCP port of the HTTP server ({{ cookiecutter.port }}; 0 picks a free port)
{%- if cookiecutter.enable_pprof %}
//	PPROF_ADDR        host:port of the pprof server ("127.0.0.1:{{ cookiecutter.pprof_port }}"; "off" turns it off)
{%- endif %}
//	LOG_LEVEL         DEBUG, INFO, WARN or ERROR, any case, optionally with an offset such as INFO+2 (INFO)
//	SHUTDOWN_DRAIN    how long /readyz answers 503 before the server stops accepting requests (5s)
//	SHUTDOWN_TIMEOUT  how long in-flight requests then have to finish (20s)
package config

import (
	"errors"
	"fmt"
	"log/slog"
{%- if cookiecutter.enable_pprof %}
	"net"
{%- endif %}
	"strconv"
	"time"
)

// Defaults for the settings whose variable is unset or empty.
const (
	DefaultPort            = {{ cookiecutter.port }}
{%- if cookiecutter.enable_pprof %}
	DefaultPprofAddr       = "127.0.0.1:{{ cookiecutter.pprof_port }}"
{%- endif %}
	DefaultLogLevel        = slog.LevelInfo
	DefaultShutdownDrain   = 5 * time.Second
	DefaultShutdownTimeout = 20 * time.Second
)

// ErrInvalid is wrapped by every error Load returns for a variable it cannot use.
var ErrInvalid = errors.New("invalid setting")

// Config holds the service's settings.
type Config struct {
	// Port is the TCP port the HTTP server listens on, on all interfaces.
	Port int
{%- if cookiecutter.enable_pprof %}
	// PprofAddr is the host:port the pprof server listens on; empty means no pprof server.
	PprofAddr string
{%- endif %}
	// LogLevel is the lowest level that is logged.
	LogLevel slog.Level
	// ShutdownDrain is how long the service keeps serving, unready, after a shutdown signal, so
	// that load balancers stop sending it requests before it stops accepting them.
	ShutdownDrain time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests once the service stops accepting.
	ShutdownTimeout time.Duration
}

// Load reads the settings through getenv, usually os.Getenv. Its error lists every variable
// with a value it cannot use, each naming the variable and the value and wrapping ErrInvalid.
func Load(getenv func(string) string) (Config, error) {
	cfg := Config{
		Port:            DefaultPort,
{%- if cookiecutter.enable_pprof %}
		PprofAddr:       DefaultPprofAddr,
{%- endif %}
		LogLevel:        DefaultLogLevel,
		ShutdownDrain:   DefaultShutdownDrain,
		ShutdownTimeout: DefaultShutdownTimeout,
	}
	var errs []error
	if v := getenv("PORT"); v != "" {
		if port, ok := parsePort(v); ok {
			cfg.Port = port
		} else {
			errs = append(errs, invalid("PORT", v, "a port number from 0 to 65535"))
		}
	}
{%- if cookiecutter.enable_pprof %}
	// getenv cannot tell an empty variable from an unset one, so turning pprof off takes a word.
	switch v := getenv("PPROF_ADDR"); v {
	case "":
		// the default
	case "off":
		cfg.PprofAddr = ""
	default:
		_, port, err := net.SplitHostPort(v)
		if _, ok := parsePort(port); err == nil && ok {
			cfg.PprofAddr = v
		} else {
			errs = append(errs, invalid("PPROF_ADDR", v, `host:port such as 127.0.0.1:{{ cookiecutter.pprof_port }}, or "off"`))
		}
	}
{%- endif %}
	if v := getenv("LOG_LEVEL"); v != "" {
		if err := cfg.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, invalid("LOG_LEVEL", v, "DEBUG, INFO, WARN or ERROR"))
		}
	}
	if v := getenv("SHUTDOWN_DRAIN"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, invalid("SHUTDOWN_DRAIN", v, "a duration of 0s or more, such as 5s"))
		} else {
			cfg.ShutdownDrain = d
		}
	}
	if v := getenv("SHUTDOWN_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, invalid("SHUTDOWN_TIMEOUT", v, "a duration above 0s, such as 20s"))
		} else {
			cfg.ShutdownTimeout = d
		}
	}
	return cfg, errors.Join(errs...)
}

func invalid(name, value, want string) error {
	return fmt.Errorf("%w %s=%q: want %s", ErrInvalid, name, value, want)
}

func parsePort(s string) (int, bool) {
	port, err := strconv.Atoi(s)
	return port, err == nil && port >= 0 && port <= 65535
}
