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
//
// d runs from when the chain's first piece saw the request. Put Deadline first, as
// server.Handler does: it then sets the deadline on the request's exchange, which costs no
// allocation of its own. Further in, it nests a standard context.WithDeadline.
func Deadline(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			x, r, made := enter(r)
			deadline := x.start.Add(d)
			if made { // nobody has seen x yet: it can take the deadline
				x.deadline = deadline
				defer x.end()
			} else {
				ctx, cancel := context.WithDeadline(r.Context(), deadline)
				defer cancel()
				r = r.WithContext(ctx)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// deadlineContext is its parent context when it has no deadline. With one, it stands for
// context.WithDeadline(parent, deadline) and makes that context only when it is needed: when a
// caller waits on Done, or once the context is over (the deadline has passed, the parent has
// ended or the handler has returned). From then on every method is the standard context's,
// context.Cause included. Until then Err, Value and Deadline answer from the parent and the
// clock. Most requests never need it: a handler that only writes a response pays for no timer,
// no cancel context and no place in its parent's children.
//
// One difference remains: the standard context ends with whichever came first, the deadline or
// its parent's end. If both have happened before anyone asks, this one cannot tell which did and
// ends with context.DeadlineExceeded.
type deadlineContext struct {
	context.Context           // the parent
	deadline        time.Time // zero for none; set before the context is handed to anyone

	mu     sync.Mutex
	std    context.Context // the standard context, once made
	cancel context.CancelFunc
	ended  bool // the handler has returned
}

// made returns the standard context, making it first if it is needed; nil while it is not.
func (c *deadlineContext) made(needed bool) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.std != nil {
		return c.std
	}
	switch {
	case !time.Now().Before(c.deadline):
		// The standard context's timer would have fired by now, whatever the parent has done
		// since: end with the deadline, keeping the parent's values.
		c.std, c.cancel = context.WithDeadline(context.WithoutCancel(c.Context), c.deadline)
	case needed || c.ended || c.Context.Err() != nil:
		c.std, c.cancel = context.WithDeadline(c.Context, c.deadline)
		if c.ended {
			c.cancel()
		}
	}
	return c.std
}

func (c *deadlineContext) Deadline() (time.Time, bool) {
	parent, ok := c.Context.Deadline()
	if c.deadline.IsZero() || ok && parent.Before(c.deadline) {
		return parent, ok
	}
	return c.deadline, true
}

func (c *deadlineContext) Done() <-chan struct{} {
	if c.deadline.IsZero() {
		return c.Context.Done()
	}
	return c.made(true).Done()
}

func (c *deadlineContext) Err() error {
	if c.deadline.IsZero() {
		return c.Context.Err()
	}
	if std := c.made(false); std != nil {
		return std.Err()
	}
	return nil
}

// Value answers from the standard context once it exists, so that context.Cause, which asks
// Value for the context's cancel state, agrees with Err.
func (c *deadlineContext) Value(key any) any {
	if c.deadline.IsZero() {
		return c.Context.Value(key)
	}
	if std := c.made(false); std != nil {
		return std.Value(key)
	}
	return c.Context.Value(key)
}

// end marks the handler as returned: the context is canceled, now or when it is first asked.
func (c *deadlineContext) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ended = true
	if c.cancel != nil {
		c.cancel()
	}
}
