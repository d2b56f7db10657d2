// Package memlimit sets the Go runtime's soft memory limit (GOMEMLIMIT) from the container's
// cgroup memory limit, so the garbage collector works harder before the kernel kills the process.
//
// No manifest, image or compose file sets GOMEMLIMIT: the service derives it at start from the
// limit of the container it runs in, by Derive's rule (the one scaffold quotes in the README and
// the Makefile), and can follow that limit when a pod is resized in place (Watch). A GOMEMLIMIT
// that is set is kept, unless the container cannot hold it.
package memlimit

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"time"
)

// Sources of the effective memory limit, as Result.Source reports them.
const (
	// SourceCgroup: GOMEMLIMIT was unset, so the limit was derived from the cgroup's.
	SourceCgroup = "cgroup"
	// SourceCapped: GOMEMLIMIT was above the limit derived from the cgroup's, which replaced it.
	SourceCapped = "cgroup (GOMEMLIMIT above the container limit)"
	// SourceEnv: the runtime's limit is GOMEMLIMIT's.
	SourceEnv = "env"
	// SourceNone: there is neither GOMEMLIMIT nor a cgroup limit, so the runtime has no limit.
	SourceNone = "none"
)

const (
	mib = 1 << 20
	// headroomFloor is the least the limit leaves outside the Go heap for goroutine stacks, the
	// runtime's own structures and files the cgroup is charged for, unless that is over half.
	headroomFloor = 32 * mib
)

// Derive returns the memory limit for a container limited to limit bytes:
//
//	min(90% of limit, max(limit - 32 MiB, limit / 2)), rounded down to a whole MiB
//
// It is the rule of scaffold's derive_gomemlimit, and the two must agree. It returns 0 for a
// limit of 0 or less.
func Derive(limit int64) int64 {
	if limit <= 0 {
		return 0
	}
	ninetyPercent := limit/10*9 + limit%10*9/10 // 9*limit/10 without overflowing
	return min(ninetyPercent, max(limit-headroomFloor, limit/2)) / mib * mib
}

// Format renders bytes in the largest unit Go's GOMEMLIMIT accepts that divides it exactly:
// TiB, GiB, MiB, KiB, else B, such as 460MiB. It is the format of scaffold's format_go_bytes.
// The runtime's "no limit", math.MaxInt64, is "none".
func Format(bytes int64) string {
	if bytes == math.MaxInt64 {
		return "none"
	}
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if bytes >= u.size && bytes%u.size == 0 {
			return fmt.Sprintf("%d%s", bytes/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", bytes)
}

// Result is what Apply found and did.
type Result struct {
	// Limit is the runtime's memory limit after Apply, in bytes; math.MaxInt64 means none.
	Limit int64
	// Source is one of the Source constants.
	Source string
	// CgroupLimit is the cgroup's memory limit in bytes, 0 when there is none.
	CgroupLimit int64
}

// Apply sets the runtime's memory limit from the cgroup limit found in root (the file system
// root, os.DirFS("/") in production) unless GOMEMLIMIT, read through getenv, already sets one that
// the container can hold. setLimit is debug.SetMemoryLimit. It never fails: at worst it changes
// nothing. It logs a warning when it cannot read the cgroup, when it lowers GOMEMLIMIT's value,
// and when GOMEMLIMIT is far below what the container's limit allows (a memory limit raised
// without GOMEMLIMIT following it), which it keeps, since a lower value may be deliberate.
func Apply(logger *slog.Logger, getenv func(string) string, root fs.FS, setLimit func(int64) int64) Result {
	cgroup, err := CgroupLimit(root)
	if err != nil {
		logger.Warn("cannot read the cgroup memory limit", "error", err)
		cgroup = 0
	}
	// The runtime has already parsed GOMEMLIMIT; -1 only reads the limit.
	return apply(logger, getenv("GOMEMLIMIT"), setLimit(-1), cgroup, setLimit)
}

// Watch is Apply, and then, when interval is above 0, a goroutine that reads the cgroup's limit
// again every interval until ctx ends: when it has changed (Kubernetes can resize a running
// pod's memory in place), it applies Apply's rule to the new limit and logs the outcome. A
// cgroup that cannot be read then keeps the limit in force.
func Watch(ctx context.Context, interval time.Duration, logger *slog.Logger, getenv func(string) string, root fs.FS, setLimit func(int64) int64) Result {
	env, requested := getenv("GOMEMLIMIT"), setLimit(-1)
	res := Apply(logger, getenv, root, setLimit)
	if interval > 0 {
		ticker := time.NewTicker(interval)
		go func() {
			defer ticker.Stop()
			follow(ctx, ticker.C, logger, env, requested, res, root, setLimit)
		}()
	}
	return res
}

// follow reads the cgroup's limit at each tick until ctx ends, and applies it when it differs
// from last's. requested is the runtime's limit before Apply: GOMEMLIMIT's, or none.
func follow(ctx context.Context, ticks <-chan time.Time, logger *slog.Logger, env string, requested int64, last Result, root fs.FS, setLimit func(int64) int64) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
		cgroup, err := CgroupLimit(root)
		if err != nil || cgroup == last.CgroupLimit {
			continue
		}
		res := apply(logger, env, requested, cgroup, setLimit)
		logger.Info("memory limit changed",
			"gomemlimit", res.Limit,
			"gomemlimit_human", Format(res.Limit),
			"source", res.Source,
			"cgroup_limit", cgroup,
			"previous_cgroup_limit", last.CgroupLimit,
		)
		last = res
	}
}

// apply sets the runtime's limit by Apply's rule for a cgroup limit of cgroup bytes (0: none),
// given GOMEMLIMIT's text, env, and the limit the runtime parsed from it, requested.
func apply(logger *slog.Logger, env string, requested, cgroup int64, setLimit func(int64) int64) Result {
	derived := Derive(cgroup) // 0 when there is no cgroup limit
	res := Result{Limit: requested, Source: SourceEnv, CgroupLimit: cgroup}
	switch {
	case derived == 0 && env == "":
		res.Source = SourceNone
	case derived == 0:
		// GOMEMLIMIT with nothing to compare it to: keep it.
	case env == "":
		res.Limit, res.Source = derived, SourceCgroup
	case env == "off":
		// a deliberate choice of no limit
	case requested < derived/4*3:
		logger.Warn("GOMEMLIMIT is far below what the container memory limit allows; keeping it",
			"gomemlimit_env", env, "gomemlimit", requested, "derived", derived,
			"derived_human", Format(derived), "cgroup_limit", cgroup,
			"fix", "unset GOMEMLIMIT to derive it from the container limit, or set it to "+Format(derived))
	case requested <= derived:
		// a little lower leaves more headroom for memory outside the Go heap: keep it
	default:
		logger.Warn("GOMEMLIMIT is above what the container memory limit allows; lowering it",
			"gomemlimit_env", env, "requested", requested,
			"gomemlimit", derived, "gomemlimit_human", Format(derived), "cgroup_limit", cgroup)
		res.Limit, res.Source = derived, SourceCapped
	}
	if setLimit(-1) != res.Limit {
		setLimit(res.Limit)
	}
	return res
}
