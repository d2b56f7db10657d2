package memlimit

import (
	"errors"
	"testing"
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
				"proc/self/cgroup": "0::/kubepods.slice/pod1/cri-containerd-abc.scope\n",
				"sys/fs/cgroup/kubepods.slice/pod1/cri-containerd-abc.scope/memory.max": "536870912\n",
			},
			want: 512 * mi,
		},
		{
			name: "v2 unlimited",
			files: map[string]string{
				"proc/self/cgroup":                    "0::/user.slice\n",
				"sys/fs/cgroup/user.slice/memory.max": "max\n",
			},
			want: 0,
		},
		{
			name: "v2 limited by an ancestor",
			files: map[string]string{
				"proc/self/cgroup": "0::/system.slice/app.service\n",
				"sys/fs/cgroup/system.slice/app.service/memory.max": "max\n",
				"sys/fs/cgroup/system.slice/memory.max":             "268435456\n",
			},
			want: 256 * mi,
		},
		{
			name: "v2 in a container: the cgroup is the mount's root",
			files: map[string]string{
				"proc/self/cgroup":         "0::/docker/0123abcd\n",
				"sys/fs/cgroup/memory.max": "268435456\n",
			},
			want: 256 * mi,
		},
		{
			name: "v2 under a cgroup namespace",
			files: map[string]string{
				"proc/self/cgroup":         "0::/\n",
				"sys/fs/cgroup/memory.max": "134217728\n",
			},
			want: 128 * mi,
		},
		{
			name: "v2 path outside the namespace reads the mount's root",
			files: map[string]string{
				"proc/self/cgroup":         "0::/../../other\n",
				"sys/fs/cgroup/memory.max": "134217728\n",
				"sys/other/memory.max":     "1048576\n",
			},
			want: 128 * mi,
		},
		{
			name: "v1",
			files: map[string]string{
				"proc/self/cgroup": "12:pids:/kubepods/pod1/abc\n4:memory:/kubepods/pod1/abc\n1:name=systemd:/kubepods/pod1/abc\n",
				"sys/fs/cgroup/memory/kubepods/pod1/abc/memory.limit_in_bytes": "536870912\n",
			},
			want: 512 * mi,
		},
		{
			name: "v1 with controllers mounted together",
			files: map[string]string{
				"proc/self/cgroup": "3:cpuacct,memory:/app\n",
				"sys/fs/cgroup/memory/app/memory.limit_in_bytes": "1073741824\n",
			},
			want: gi,
		},
		{
			name: "v1 unlimited",
			files: map[string]string{
				"proc/self/cgroup": "4:memory:/user.slice\n",
				"sys/fs/cgroup/memory/user.slice/memory.limit_in_bytes": unlimitedV1,
				"sys/fs/cgroup/memory/user.slice/memory.stat":           "cache 0\nhierarchical_memory_limit " + unlimitedV1,
			},
			want: 0,
		},
		{
			name: "v1 limited by an ancestor",
			files: map[string]string{
				"proc/self/cgroup": "4:memory:/parent/child\n",
				"sys/fs/cgroup/memory/parent/child/memory.limit_in_bytes": unlimitedV1,
				"sys/fs/cgroup/memory/parent/child/memory.stat":           "cache 0\nhierarchical_memory_limit 268435456\nrss 0\n",
			},
			want: 256 * mi,
		},
		{
			name: "v1 own limit below the hierarchy's",
			files: map[string]string{
				"proc/self/cgroup": "4:memory:/parent/child\n",
				"sys/fs/cgroup/memory/parent/child/memory.limit_in_bytes": "134217728\n",
				"sys/fs/cgroup/memory/parent/child/memory.stat":           "hierarchical_memory_limit 268435456\n",
			},
			want: 128 * mi,
		},
		{
			name: "v1 in a container: the cgroup is the mount's root",
			files: map[string]string{
				"proc/self/cgroup":                           "4:memory:/docker/0123abcd\n",
				"sys/fs/cgroup/memory/memory.limit_in_bytes": "268435456\n",
			},
			want: 256 * mi,
		},
		{
			name: "v1 memory controller preferred over the unified hierarchy",
			files: map[string]string{
				"proc/self/cgroup": "4:memory:/app\n0::/app\n",
				"sys/fs/cgroup/memory/app/memory.limit_in_bytes": "268435456\n",
				"sys/fs/cgroup/app/memory.max":                   "134217728\n",
			},
			want: 256 * mi,
		},
		{
			name: "v2 without the memory controller",
			files: map[string]string{
				"proc/self/cgroup": "0::/app\n",
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
			name: "malformed memory.max",
			files: map[string]string{
				"proc/self/cgroup":         "0::/\n",
				"sys/fs/cgroup/memory.max": "lots\n",
			},
			wantErr: ErrMalformed,
		},
		{
			name: "malformed memory.limit_in_bytes",
			files: map[string]string{
				"proc/self/cgroup":                           "4:memory:/\n",
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
