package buildinfo

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"runtime"
	"strings"
	"testing"
)

func TestReadKeepsTheVersionAndTheGoRelease(t *testing.T) {
	info := Read("v1.2.3")
	if info.Version != "v1.2.3" || info.GoVersion != runtime.Version() {
		t.Errorf("Read = %+v, want version v1.2.3 and %s", info, runtime.Version())
	}
	if !strings.HasPrefix(info.String(), "v1.2.3 "+runtime.Version()) {
		t.Errorf("String = %q, want it to start with the version and the Go release", info.String())
	}
}

func TestLogValueIsAGroupOfTheKnownFields(t *testing.T) {
	var out bytes.Buffer
	info := Info{Version: "v1", GoVersion: "go1.27.0", Revision: "abc", Time: "2026-01-02T03:04:05Z", Modified: true}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("starting", "build", info)
	var line struct{ Build map[string]any }
	if err := json.Unmarshal(out.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"version": "v1", "go": "go1.27.0", "revision": "abc", "revision_time": "2026-01-02T03:04:05Z", "modified": true}
	for k, v := range want {
		if line.Build[k] != v {
			t.Errorf("build.%s = %v, want %v (line %s)", k, line.Build[k], v, out.String())
		}
	}
	if got := (Info{Version: "dev", GoVersion: "go1.27.0"}).String(); got != "dev go1.27.0" {
		t.Errorf("String without VCS = %q, want %q", got, "dev go1.27.0")
	}
}
