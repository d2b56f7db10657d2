package memlimit

import (
	"errors"
	"testing"
)

// mountinfo lines as the kernel writes them, for the fixtures below.
const (
	// A host or a pod with cgroup v2 mounted where systemd and container runtimes mount it.
	v2Mount = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	// cgroup v1: the memory controller on its own, cpu and cpuacct together, and systemd's.
	v1Mounts = "25 24 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n" +
		"26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd\n" +
		"30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct\n" +
		"33 25 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,memory\n"
	// The root file system and /proc, which every mountinfo lists.
	otherMounts = "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n" +
		"23 22 0:5 / /proc rw,nosuid,nodev,noexec,relatime shared:2 - proc proc rw\n"
)

func TestCgroupLimit(t *testing.T) {
	const unlimitedV1 = "9223372036854771712\n"
	tests := []struct {
		name    string
		files   map[string]string
		want    int64
		wantErr error
	}{
		{
			name: "v2",
			files: map[string]string{
				"proc/self/cgroup":    "0::/kubepods.slice/pod1/cri-containerd-abc.scope\n",
				"proc/self/mountinfo": otherMounts + v2Mount,
				"sys/fs/cgroup/kubepods.slice/pod1/cri-containerd-abc.scope/memory.max": "536870912\n",
			},
			want: 512 * mi,
		},
		{
			name: "v2 unlimited",
			files: map[string]string{
				"proc/self/cgroup":                    "0::/user.slice\n",
				"proc/self/mountinfo":                 v2Mount,
				"sys/fs/cgroup/user.slice/memory.max": "max\n",
			},
			want: 0,
		},
		{
			name: "v2 limited by an ancestor",
			files: map[string]string{
				"proc/self/cgroup":    "0::/system.slice/app.service\n",
				"proc/self/mountinfo": v2Mount,
				"sys/fs/cgroup/system.slice/app.service/memory.max": "max\n",
				"sys/fs/cgroup/system.slice/memory.max":             "268435456\n",
			},
			want: 256 * mi,
		},
		{
			name: "v2 mounted somewhere else",
			files: map[string]string{
				"proc/self/cgroup":             "0::/app\n",
				"proc/self/mountinfo":          otherMounts + "40 22 0:26 / /run/cg2 rw,relatime - cgroup2 none rw\n",
				"run/cg2/app/memory.max":       "134217728\n",
				"sys/fs/cgroup/app/memory.max": "1048576\n", // not a cgroup file system here
			},
			want: 128 * mi,
		},
		{
			name: "v2 mount point with a space",
			files: map[string]string{
				"proc/self/cgroup":              "0::/app\n",
				"proc/self/mountinfo":           `40 22 0:26 / /run/my\040cgroups rw - cgroup2 none rw` + "\n",
				"run/my cgroups/app/memory.max": "134217728\n",
			},
			want: 128 * mi,
		},
		{
			name: "v2 mount of part of the hierarchy: a container without its own cgroup namespace",
			files: map[string]string{
				"proc/self/cgroup":         "0::/kubepods/pod1/ctr\n",
				"proc/self/mountinfo":      "50 40 0:26 /kubepods/pod1/ctr /sys/fs/cgroup ro,nosuid - cgroup2 cgroup rw\n",
				"sys/fs/cgroup/memory.max": "268435456\n",
				// Above the mount: outside what the container sees, so never read.
				"sys/memory.max": "1048576\n",
			},
			want: 256 * mi,
		},
		{
			name: "v2 nested below a mount of part of the hierarchy",
			files: map[string]string{
				"proc/self/cgroup":                    "0::/kubepods/pod1/ctr/worker\n",
				"proc/self/mountinfo":                 "50 40 0:26 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup rw\n",
				"sys/fs/cgroup/ctr/worker/memory.max": "max\n",
				"sys/fs/cgroup/ctr/memory.max":        "402653184\n",
				"sys/fs/cgroup/memory.max":            "536870912\n",
			},
			want: 384 * mi,
		},
		{
			name: "v2 in a container: the cgroup is the mount's root",
			files: map[string]string{
				"proc/self/cgroup":         "0::/docker/0123abcd\n",
				"proc/self/mountinfo":      v2Mount,
				"sys/fs/cgroup/memory.max": "268435456\n",
			},
			want: 256 * mi,
		},
		{
			name: "v2 under a cgroup namespace",
			files: map[string]string{
				"proc/self/cgroup":         "0::/\n",
				"proc/self/mountinfo":      v2Mount,
				"sys/fs/cgroup/memory.max": "134217728\n",
			},
			want: 128 * mi,
		},
		{
			name: "v2 path outside the namespace reads the mount's root",
			files: map[string]string{
				"proc/self/cgroup":         "0::/../../other\n",
				"proc/self/mountinfo":      v2Mount,
				"sys/fs/cgroup/memory.max": "134217728\n",
				"sys/other/memory.max":     "1048576\n",
			},
			want: 128 * mi,
		},
		{
			name: "v2 mounted twice: the mount showing the process's cgroup is read",
			files: map[string]string{
				"proc/self/cgroup": "0::/kubepods/pod1/ctr\n",
				"proc/self/mountinfo": "50 40 0:26 /other /sys/fs/cgroup rw - cgroup2 cgroup rw\n" +
					"51 40 0:26 /kubepods /host/cgroup rw - cgroup2 cgroup rw\n",
				"sys/fs/cgroup/memory.max":        "1048576\n",
				"host/cgroup/pod1/ctr/memory.max": "max\n",
				"host/cgroup/pod1/memory.max":     "268435456\n",
			},
			want: 256 * mi,
		},
		{
			name: "v1",
			files: map[string]string{
				"proc/self/cgroup":    "12:pids:/kubepods/pod1/abc\n4:memory:/kubepods/pod1/abc\n1:name=systemd:/kubepods/pod1/abc\n",
				"proc/self/mountinfo": otherMounts + v1Mounts,
				"sys/fs/cgroup/memory/kubepods/pod1/abc/memory.limit_in_bytes": "536870912\n",
			},
			want: 512 * mi,
		},
		{
			name: "v1 with controllers mounted together",
			files: map[string]string{
				"proc/self/cgroup":    "3:cpu,memory:/app\n1:name=systemd:/app\n",
				"proc/self/mountinfo": "33 25 0:30 / /sys/fs/cgroup/cpu,memory rw,nosuid - cgroup cgroup rw,cpu,memory\n",
				"sys/fs/cgroup/cpu,memory/app/memory.limit_in_bytes": "1073741824\n",
			},
			want: gi,
		},
		{
			name: "v1 unlimited",
			files: map[string]string{
				"proc/self/cgroup":    "4:memory:/user.slice\n",
				"proc/self/mountinfo": v1Mounts,
				"sys/fs/cgroup/memory/user.slice/memory.limit_in_bytes": unlimitedV1,
				"sys/fs/cgroup/memory/user.slice/memory.stat":           "cache 0\nhierarchical_memory_limit " + unlimitedV1,
			},
			want: 0,
		},
		{
			name: "v1 limited by an ancestor",
			files: map[string]string{
				"proc/self/cgroup":    "4:memory:/parent/child\n",
				"proc/self/mountinfo": v1Mounts,
				"sys/fs/cgroup/memory/parent/child/memory.limit_in_bytes": unlimitedV1,
				"sys/fs/cgroup/memory/parent/child/memory.stat":           "cache 0\nhierarchical_memory_limit 268435456\nrss 0\n",
			},
			want: 256 * mi,
		},
		{
			name: "v1 own limit below the hierarchy's",
			files: map[string]string{
				"proc/self/cgroup":    "4:memory:/parent/child\n",
				"proc/self/mountinfo": v1Mounts,
				"sys/fs/cgroup/memory/parent/child/memory.limit_in_bytes": "134217728\n",
				"sys/fs/cgroup/memory/parent/child/memory.stat":           "hierarchical_memory_limit 268435456\n",
			},
			want: 128 * mi,
		},
		{
			name: "v1 in a container: the mount shows the container's cgroup",
			files: map[string]string{
				"proc/self/cgroup":                           "4:memory:/docker/0123abcd\n",
				"proc/self/mountinfo":                        "33 25 0:30 /docker/0123abcd /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n",
				"sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
			},
			want: 256 * mi,
		},
		{
			name: "v1 memory controller preferred over the unified hierarchy",
			files: map[string]string{
				"proc/self/cgroup": "4:memory:/app\n0::/app\n",
				"proc/self/mountinfo": v1Mounts +
					"35 25 0:32 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n",
				"sys/fs/cgroup/memory/app/memory.limit_in_bytes": "268435456\n",
				"sys/fs/cgroup/unified/app/memory.max":           "134217728\n",
			},
			want: 256 * mi,
		},
		{
			name: "v1 memory hierarchy not mounted",
			files: map[string]string{
				"proc/self/cgroup":    "4:memory:/app\n",
				"proc/self/mountinfo": otherMounts,
			},
			want: 0,
		},
		{
			name: "v2 without the memory controller",
			files: map[string]string{
				"proc/self/cgroup":    "0::/app\n",
				"proc/self/mountinfo": v2Mount,
			},
			want: 0,
		},
		{
			name:  "not Linux",
			files: map[string]string{},
			want:  0,
		},
		{
			name: "malformed /proc/self/cgroup",
			files: map[string]string{
				"proc/self/cgroup": "memory\n",
			},
			wantErr: ErrMalformed,
		},
		{
			name: "malformed /proc/self/mountinfo",
			files: map[string]string{
				"proc/self/cgroup":    "0::/\n",
				"proc/self/mountinfo": "30 23 0:26 / /sys/fs/cgroup rw cgroup2\n",
			},
			wantErr: ErrMalformed,
		},
		{
			name: "malformed memory.max",
			files: map[string]string{
				"proc/self/cgroup":         "0::/\n",
				"proc/self/mountinfo":      v2Mount,
				"sys/fs/cgroup/memory.max": "lots\n",
			},
			wantErr: ErrMalformed,
		},
		{
			name: "malformed memory.limit_in_bytes",
			files: map[string]string{
				"proc/self/cgroup":                           "4:memory:/\n",
				"proc/self/mountinfo":                        v1Mounts,
				"sys/fs/cgroup/memory/memory.limit_in_bytes": "512Mi\n",
			},
			wantErr: ErrMalformed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CgroupLimit(fixture(t, tt.files))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CgroupLimit error = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("CgroupLimit = %d (%s), want %d (%s)", got, Format(got), tt.want, Format(tt.want))
			}
		})
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		`/plain`:           "/plain",
		`/a\040b`:          "/a b",
		`/tab\011and\134`:  "/tab\tand\\",
		`/not\0a\escape\9`: `/not\0a\escape\9`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}
