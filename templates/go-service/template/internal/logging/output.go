package logging

import (
	"io"
	"sync"
	"time"
)

// maxHeld is how many bytes of access lines Output holds before it writes them, whatever its
// delay: about a hundred lines.
const maxHeld = 32 << 10

// Output is where a logger from New writes, one whole line at a time. Given a delay, it holds
// access lines (those LogRequest writes) for up to that long, or until it holds 32 KiB, and
// writes them together: one write(2) for many requests instead of one for each, which is most
// of what an access log costs a busy service. Every other line is written at once, after the
// access lines held before it, so lines keep their order. Access lines held when the process is
// killed (SIGKILL, the OOM killer) are lost: call Flush before exiting.
type Output struct {
	mu    sync.Mutex
	w     io.Writer
	delay time.Duration
	held  []byte
	timer *time.Timer // writes what is held once the delay has passed
	armed bool        // the timer will fire
}

// NewOutput returns an Output writing to w that holds access lines for up to delay; with a
// delay of 0 it writes every line at once.
func NewOutput(w io.Writer, delay time.Duration) *Output {
	return &Output{w: w, delay: delay}
}

// Write writes the lines held, then p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.held) == 0 {
		return o.w.Write(p)
	}
	o.held = append(o.held, p...)
	if err := o.writeHeld(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes the lines held.
func (o *Output) Flush() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writeHeld()
}

// hold writes the access line p within the delay.
func (o *Output) hold(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.delay <= 0 {
		return o.w.Write(p)
	}
	o.held = append(o.held, p...)
	if len(o.held) >= maxHeld {
		if err := o.writeHeld(); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if !o.armed {
		o.armed = true
		if o.timer == nil {
			o.timer = time.AfterFunc(o.delay, o.delayPassed)
		} else {
			o.timer.Reset(o.delay)
		}
	}
	return len(p), nil
}

func (o *Output) delayPassed() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.armed = false
	_ = o.writeHeld() // nothing to tell: the next line written meets the same writer
}

// writeHeld writes the lines held, if any; o.mu is held.
func (o *Output) writeHeld() error {
	if len(o.held) == 0 {
		return nil
	}
	_, err := o.w.Write(o.held)
	o.held = o.held[:0]
	if cap(o.held) > 4*maxHeld { // a long line went out with them: do not keep its room
		o.held = nil
	}
	return err
}
