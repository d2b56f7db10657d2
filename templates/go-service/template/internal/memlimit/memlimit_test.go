package memlimit

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	mi = int64(1) << 20
	gi = int64(1) << 30
)

// The expected values are those of scaffold's generator/quantities.py derive_gomemlimit.
func TestDeriveMatchesTheGeneratorsRule(t *testing.T) {
	tests := []struct {
		limit, want int64
	}{
		{64 * mi, 32 * mi},
		{128 * mi, 96 * mi},
		{256 * mi, 224 * mi},
		{320 * mi, 288 * mi},
		{512 * mi, 460 * mi},
		{1 * gi, 921 * mi},
		{2 * gi, 1843 * mi},
		{256000000, 212 * mi},  // 256M
		{1000000000, 858 * mi}, // 1G
		{100 * mi, 68 * mi},
		{96*mi + 5, 64 * mi},
		{2*mi + 1, 1 * mi},
		{1 * mi, 0},
		{0, 0},
		{-1, 0},
		{math.MaxInt64, 7916483719987 * mi},
	}
	for _, tt := range tests {
		if got := Derive(tt.limit); got != tt.want {
			t.Errorf("Derive(%d) = %d (%s), want %d (%s)", tt.limit, got, Format(got), tt.want, Format(tt.want))
		}
	}
}

func TestFormatUsesTheLargestExactUnit(t *testing.T) {
	tests := []struct {
		bytes int64
		want  string
	}{
		{460 * mi, "460MiB"},
		{1843 * mi, "1843MiB"},
		{2 * gi, "2GiB"},
		{3 << 40, "3TiB"},
		{1536, "1536B"},
		{2048, "2KiB"},
		{0, "0B"},
		{math.MaxInt64, "none"},
		{math.MaxInt64 - 1, "9223372036854775806B"},
	}
	for _, tt := range tests {
		if got := Format(tt.bytes); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.bytes, got, tt.want)
		}
	}
}

func TestApply(t *testing.T) {
	cgroup512Mi := map[string]string{
		"proc/self/cgroup":         "0::/\n",
		"proc/self/mountinfo":      v2Mount,
		"sys/fs/cgroup/memory.max": "536870912\n",
	}
	// A limit raised from 512Mi to 1Gi with GOMEMLIMIT left at 512Mi's figure.
	cgroup1Gi := map[string]string{
		"proc/self/cgroup":         "0::/\n",
		"proc/self/mountinfo":      v2Mount,
		"sys/fs/cgroup/memory.max": "1073741824\n",
	}
	noCgroup := map[string]string{"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": v2Mount, "sys/fs/cgroup/memory.max": "max\n"}
	tests := []struct {
		name      string
		files     map[string]string
		env       string // GOMEMLIMIT
		runtime   int64  // the limit the runtime parsed from env
		want      Result
		wantSet   bool
		wantWarns int
	}{
		{"no GOMEMLIMIT: the cgroup's", cgroup512Mi, "", math.MaxInt64,
			Result{460 * mi, SourceCgroup, 512 * mi}, true, 0},
		{"no GOMEMLIMIT, no cgroup limit: none", noCgroup, "", math.MaxInt64,
			Result{math.MaxInt64, SourceNone, 0}, false, 0},
		{"no GOMEMLIMIT, not Linux: none", map[string]string{}, "", math.MaxInt64,
			Result{math.MaxInt64, SourceNone, 0}, false, 0},
		{"GOMEMLIMIT below the derived limit is kept", cgroup512Mi, "400MiB", 400 * mi,
			Result{400 * mi, SourceEnv, 512 * mi}, false, 0},
		{"GOMEMLIMIT at three quarters of the derived limit is kept quietly", cgroup512Mi, "345MiB", 345 * mi,
			Result{345 * mi, SourceEnv, 512 * mi}, false, 0},
		{"GOMEMLIMIT far below the derived limit is kept with a warning", cgroup1Gi, "460MiB", 460 * mi,
			Result{460 * mi, SourceEnv, gi}, false, 1},
		{"GOMEMLIMIT equal to the derived limit is kept", cgroup512Mi, "460MiB", 460 * mi,
			Result{460 * mi, SourceEnv, 512 * mi}, false, 0},
		{"GOMEMLIMIT above the derived limit is lowered", cgroup512Mi, "480MiB", 480 * mi,
			Result{460 * mi, SourceCapped, 512 * mi}, true, 1},
		{"GOMEMLIMIT above the container limit is lowered", cgroup512Mi, "1GiB", gi,
			Result{460 * mi, SourceCapped, 512 * mi}, true, 1},
		{"GOMEMLIMIT=off is kept", cgroup512Mi, "off", math.MaxInt64,
			Result{math.MaxInt64, SourceEnv, 512 * mi}, false, 0},
		{"GOMEMLIMIT without a cgroup limit is kept", noCgroup, "1GiB", gi,
			Result{gi, SourceEnv, 0}, false, 0},
		{"an unreadable cgroup changes nothing", map[string]string{"proc/self/cgroup": "garbage\n"}, "", math.MaxInt64,
			Result{math.MaxInt64, SourceNone, 0}, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runtimeLimit, set := tt.runtime, false
			setLimit := func(limit int64) int64 {
				prev := runtimeLimit
				if limit >= 0 {
					runtimeLimit, set = limit, true
				}
				return prev
			}
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			getenv := func(name string) string {
				if name == "GOMEMLIMIT" {
					return tt.env
				}
				return ""
			}

			got := Apply(logger, getenv, fixture(t, tt.files), setLimit)
			if got != tt.want {
				t.Errorf("Apply = %+v, want %+v", got, tt.want)
			}
			if set != tt.wantSet || runtimeLimit != tt.want.Limit {
				t.Errorf("runtime limit = %d (set: %v), want %d (set: %v)", runtimeLimit, set, tt.want.Limit, tt.wantSet)
			}
			if warns := strings.Count(logs.String(), `"level":"WARN"`); warns != tt.wantWarns {
				t.Errorf("%d warnings, want %d:\n%s", warns, tt.wantWarns, logs.String())
			}
		})
	}
}

// fixture writes files, named by their slash-separated path from the file system root, into a
// temporary directory and returns that directory as the root.
func fixture(t *testing.T, files map[string]string) fs.FS {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return os.DirFS(root)
}

func TestTheDriftWarningNamesBothFiguresAndTheFix(t *testing.T) {
	var logs bytes.Buffer
	files := map[string]string{"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": v2Mount, "sys/fs/cgroup/memory.max": "1073741824\n"}
	getenv := func(name string) string { return map[string]string{"GOMEMLIMIT": "460MiB"}[name] }
	Apply(slog.New(slog.NewJSONHandler(&logs, nil)), getenv, fixture(t, files), func(int64) int64 { return 460 * mi })
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON line, got %q: %v", logs.String(), err)
	}
	if line["gomemlimit_env"] != "460MiB" || line["derived_human"] != "921MiB" || line["cgroup_limit"] != float64(gi) {
		t.Errorf("warning = %v, want GOMEMLIMIT 460MiB, derived 921MiB and the 1GiB cgroup limit", line)
	}
	if fix, _ := line["fix"].(string); !strings.Contains(fix, "unset GOMEMLIMIT") || !strings.Contains(fix, "921MiB") {
		t.Errorf("fix = %q, want it to say to unset GOMEMLIMIT or set 921MiB", fix)
	}
}

// resizable is a v2 cgroup whose memory.max a test changes, as an in-place pod resize does.
type resizable struct {
	t    *testing.T
	dir  string
	root fs.FS
}

func newResizable(t *testing.T, memoryMax string) *resizable {
	t.Helper()
	dir := t.TempDir()
	r := &resizable{t: t, dir: dir, root: os.DirFS(dir)}
	for name, content := range map[string]string{
		"proc/self/cgroup":    "0::/\n",
		"proc/self/mountinfo": v2Mount,
	} {
		r.write(name, content)
	}
	r.write("sys/fs/cgroup/memory.max", memoryMax)
	return r
}

func (r *resizable) write(name, content string) {
	r.t.Helper()
	path := filepath.Join(r.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func TestFollowAppliesEachResizeOfTheContainer(t *testing.T) {
	// step is a resize: the new memory.max, and the runtime limit and source it must lead to.
	type step struct {
		memoryMax string
		want      int64
		source    string
	}
	tests := []struct {
		name      string
		env       string
		requested int64 // the limit the runtime parsed from env
		steps     []step
	}{
		{"no GOMEMLIMIT: the derived limit follows the container's", "", math.MaxInt64, []step{
			{"1073741824\n", 921 * mi, SourceCgroup},
			{"268435456\n", 224 * mi, SourceCgroup},
			{"max\n", math.MaxInt64, SourceNone},
		}},
		{"GOMEMLIMIT capped, then restored when the container grows", "1GiB", gi, []step{
			{"2147483648\n", gi, SourceEnv},
			{"536870912\n", 460 * mi, SourceCapped},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cgroup := newResizable(t, "536870912\n")
			sets := make(chan int64, 10)
			runtimeLimit := tt.requested
			setLimit := func(limit int64) int64 {
				prev := runtimeLimit
				if limit >= 0 {
					runtimeLimit = limit
					sets <- limit
				}
				return prev
			}
			var logs bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logs, nil))
			first := apply(slog.New(slog.DiscardHandler), tt.env, tt.requested, 512*mi, setLimit)
			if len(sets) > 0 {
				<-sets
			}

			ctx, cancel := context.WithCancel(t.Context())
			ticks := make(chan time.Time)
			done := make(chan struct{})
			go func() {
				defer close(done)
				follow(ctx, ticks, logger, tt.env, tt.requested, first, cgroup.root, setLimit)
			}()
			for _, step := range tt.steps {
				cgroup.write("sys/fs/cgroup/memory.max", step.memoryMax)
				ticks <- time.Now()
				if got := <-sets; got != step.want {
					t.Errorf("after memory.max %q the runtime limit is %s, want %s", step.memoryMax, Format(got), Format(step.want))
				}
			}
			// Unchanged: nothing to do. The second tick is taken only once the first is handled.
			ticks <- time.Now()
			ticks <- time.Now()
			cancel()
			<-done
			if len(sets) != 0 {
				t.Errorf("the limit was set %d more times than the container changed", len(sets))
			}
			var changes []map[string]any
			for line := range strings.Lines(logs.String()) {
				var record map[string]any
				if err := json.Unmarshal([]byte(line), &record); err != nil {
					t.Fatal(err)
				}
				if record["msg"] == "memory limit changed" {
					changes = append(changes, record)
				}
			}
			if len(changes) != len(tt.steps) {
				t.Fatalf("%d \"memory limit changed\" lines, want %d:\n%s", len(changes), len(tt.steps), logs.String())
			}
			for i, step := range tt.steps {
				if changes[i]["source"] != step.source || changes[i]["gomemlimit_human"] != Format(step.want) {
					t.Errorf("change %d logged %v, want source %q and %s", i, changes[i], step.source, Format(step.want))
				}
			}
		})
	}
}

func TestWatchWithoutAnIntervalIsApply(t *testing.T) {
	cgroup := newResizable(t, "536870912\n")
	limit := int64(math.MaxInt64)
	setLimit := func(l int64) int64 {
		prev := limit
		if l >= 0 {
			limit = l
		}
		return prev
	}
	getenv := func(string) string { return "" }
	got := Watch(t.Context(), 0, slog.New(slog.DiscardHandler), getenv, cgroup.root, setLimit)
	if want := (Result{460 * mi, SourceCgroup, 512 * mi}); got != want || limit != 460*mi {
		t.Errorf("Watch = %+v with the runtime at %s, want %+v", got, Format(limit), want)
	}
}
