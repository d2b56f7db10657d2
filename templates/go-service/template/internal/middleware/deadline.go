package middleware

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// Deadline cancels each request's context after d. The server's WriteTimeout only stops the
// response from being written: give Deadline the same figure so a handler working past it
// (a database query, a call to another service) is told to stop too. As with
// context.WithTimeout, the context is also canceled once the handler returns.
func Deadline(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, r := withDeadline(r, time.Now().Add(d))
			defer ctx.cancel(context.Canceled)
			next.ServeHTTP(w, r)
		})
	}
}

// withDeadline returns a context for r that ends at deadline, and a copy of r carrying it.
func withDeadline(r *http.Request, deadline time.Time) (*deadlineContext, *http.Request) {
	// One allocation for both. WithContext is inlined, so the request it makes stays on the stack.
	dr := &struct {
		ctx deadlineContext
		req http.Request
	}{ctx: deadlineContext{Context: r.Context(), deadline: deadline}}
	dr.req = *r.WithContext(&dr.ctx)
	return &dr.ctx, &dr.req
}

// deadlineContext behaves as context.WithDeadline's context, but starts no timer and joins no
// parent until a caller asks for Done. Most requests never do: a handler that only returns a
// response pays for one small allocation instead of a timer, a cancel context and a place in
// its parent's set of children. Err and Deadline answer from the clock and the parent until
// then.
type deadlineContext struct {
	context.Context // the parent
	deadline        time.Time

	mu         sync.Mutex
	done       chan struct{} // made by the first call to Done
	err        error         // set once, never cleared
	timer      *time.Timer
	stopParent func() bool
}

func (c *deadlineContext) Deadline() (time.Time, bool) {
	if parent, ok := c.Context.Deadline(); ok && parent.Before(c.deadline) {
		return parent, true
	}
	return c.deadline, true
}

func (c *deadlineContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err == nil {
		c.err = c.expired()
	}
	if c.err != nil {
		close(c.done)
		return c.done
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.cancel(context.DeadlineExceeded) })
	c.stopParent = context.AfterFunc(c.Context, func() { c.cancel(c.Context.Err()) })
	return c.done
}

func (c *deadlineContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && c.done == nil { // once Done exists, only cancel sets err, as it closes Done
		c.err = c.expired()
	}
	return c.err
}

// expired returns why the context is over by now, or nil.
func (c *deadlineContext) expired() error {
	if err := c.Context.Err(); err != nil {
		return err
	}
	if !time.Now().Before(c.deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// cancel ends the context with err unless it has ended already, and releases its timer.
func (c *deadlineContext) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		if c.done != nil {
			close(c.done)
		}
	}
	if c.timer != nil {
		c.timer.Stop()
		c.stopParent()
	}
}
