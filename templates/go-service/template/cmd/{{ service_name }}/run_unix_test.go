//go:build unix

package main

import (
	"os"
	"syscall"
	"testing"
)

func TestRunShutsDownOnSIGTERM(t *testing.T) {
	svc := start(t, map[string]string{
		"PORT":           "0",
		"METRICS_ADDR":   "off",
		"PPROF_ADDR":     "off",
		"SHUTDOWN_DRAIN": "0s",
	})
	svc.waitLog(t, "listening")
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	svc.waitLog(t, "shutdown complete")
	if err := svc.wait(t); err != nil {
		t.Errorf("run = %v, want nil", err)
	}
}
