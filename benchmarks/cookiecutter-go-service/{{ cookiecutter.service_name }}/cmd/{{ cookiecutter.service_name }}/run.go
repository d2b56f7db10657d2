package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
{%- if cookiecutter.enable_pprof %}
	"net/http"
{%- endif %}
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"{{ cookiecutter.module_path }}/internal/config"
{%- if cookiecutter.enable_pprof %}
	"{{ cookiecutter.module_path }}/internal/debugserver"
{%- endif %}
	"{{ cookiecutter.module_path }}/internal/health"
	"{{ cookiecutter.module_path }}/internal/logging"
	"{{ cookiecutter.module_path }}/internal/memlimit"
	"{{ cookiecutter.module_path }}/internal/server"
)

// healthcheckTimeout bounds -healthcheck, well inside the probe timeouts of Docker and Compose.
const healthcheckTimeout = 2 * time.Second

// run runs the service until ctx ends or SIGINT or SIGTERM arrives, then shuts it down
// gracefully and returns nil. args are the command line, getenv reads the settings (see
// internal/config) and stdout receives the JSON logs.
//
// With -healthcheck it instead asks the service already running on PORT whether it is live,
// and returns nil if it is: images without a shell or curl use it as their health check.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	flags := flag.NewFlagSet(args[0], flag.ContinueOnError)
	flags.SetOutput(stdout)
	healthcheck := flags.Bool("healthcheck", false, "exit 0 if the service running on $PORT answers GET /livez with 200, else 1")
	if err := flags.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	if *healthcheck {
		ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
		defer cancel()
		return health.Check(ctx, "http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port))+"/livez")
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	level := new(slog.LevelVar)
	level.Set(cfg.LogLevel)
	logger := logging.New(stdout, level)
	slog.SetDefault(logger)
	logger.Info("starting", "version", version, "go", runtime.Version())

	mem := memlimit.Apply(logger, getenv, os.DirFS("/"), debug.SetMemoryLimit)
	logger.Info("memory limit",
		"gomemlimit", mem.Limit,
		"gomemlimit_human", memlimit.Format(mem.Limit),
		"source", mem.Source,
		"cgroup_limit", mem.CgroupLimit,
		"gomaxprocs", runtime.GOMAXPROCS(0),
	)

	readiness := new(health.Readiness)
	srv := server.New(server.Routes(serviceName, readiness), logger.Handler())
	ln, err := net.Listen("tcp", net.JoinHostPort("", strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- fmt.Errorf("serving: %w", srv.Serve(ln)) }()
	logger.Info("listening", "addr", ln.Addr().String())
{%- if cookiecutter.enable_pprof %}

	var debugSrv *http.Server
	if cfg.PprofAddr != "" {
		debugLn, err := net.Listen("tcp", cfg.PprofAddr)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("pprof: %w", err)
		}
		debugSrv = debugserver.New(logger.Handler())
		go func() { serveErr <- fmt.Errorf("serving pprof: %w", debugSrv.Serve(debugLn)) }()
		logger.Info("pprof listening", "addr", debugLn.Addr().String())
	}
{%- endif %}

	readiness.Set(true)
	select {
	case err := <-serveErr:
		// Serve only returns early when its listener fails.
		_ = srv.Close()
{%- if cookiecutter.enable_pprof %}
		if debugSrv != nil {
			_ = debugSrv.Close()
		}
{%- endif %}
		return err
	case <-ctx.Done():
	}

	stop() // from now on a second signal kills the process at once
	// Load balancers and Kubernetes endpoints take a moment to see the pod is going; until then
	// new requests still arrive, so keep serving them while /readyz answers 503.
	readiness.Set(false)
	logger.Info("shutdown started", "drain", cfg.ShutdownDrain.String(), "timeout", cfg.ShutdownTimeout.String())
	time.Sleep(cfg.ShutdownDrain)

	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
{%- if cookiecutter.enable_pprof %}
	if debugSrv != nil {
		// A profile in progress would hold Shutdown until its end: cut it short instead.
		_ = debugSrv.Close()
	}
{%- endif %}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("shutdown complete")
	return nil
}
