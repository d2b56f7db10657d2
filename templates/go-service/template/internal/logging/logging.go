// Package logging builds the service's logger: one JSON object a line, for log collectors, each
// naming the service and carrying the attributes of the request it was logged for.
package logging

import (
	"context"
	"io"
	"log/slog"
)

// New returns a logger that writes JSON lines to w, with the keys time, level, msg and service
// followed by each record's attributes, dropping records below level. Changing level later
// changes what the logger writes from then on. A record logged with a context that went through
// WithAttrs also carries that context's attributes, such as a request's ID.
func New(w io.Writer, level *slog.LevelVar, service string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(contextHandler{h}).With("service", service)
}

type attrsKey struct{}

// WithAttrs returns a copy of ctx whose log records, through a logger from New, carry attrs
// after those ctx already had.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	old, _ := ctx.Value(attrsKey{}).([]slog.Attr)
	return context.WithValue(ctx, attrsKey{}, append(old[:len(old):len(old)], attrs...))
}

// contextHandler adds the attributes WithAttrs stored in a record's context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if attrs, ok := ctx.Value(attrsKey{}).([]slog.Attr); ok {
		r.AddAttrs(attrs...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
