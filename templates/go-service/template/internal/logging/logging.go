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
// changes what the logger writes from then on. A record logged with a context that carries
// attributes (see WithAttrs and AttrsKey), such as a request's ID, carries them too.
func New(w io.Writer, level *slog.LevelVar, service string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(contextHandler{h}).With("service", service)
}

// AttrsKey is the context key of a context's log attributes: its value is an Attrs. WithAttrs
// stores one; a request-scoped context type may also answer the key itself, as the middleware
// package's does, to carry attributes without a context.WithValue per request.
type AttrsKey struct{}

// Attrs are the attributes a context adds to each record logged with it.
type Attrs interface {
	LogAttrs() []slog.Attr
}

type attrList []slog.Attr

func (l attrList) LogAttrs() []slog.Attr { return l }

// WithAttrs returns a copy of ctx whose log records, through a logger from New, carry attrs
// after those ctx already had.
func WithAttrs(ctx context.Context, attrs ...slog.Attr) context.Context {
	var old []slog.Attr
	if a, ok := ctx.Value(AttrsKey{}).(Attrs); ok {
		old = a.LogAttrs()
	}
	return context.WithValue(ctx, AttrsKey{}, attrList(append(old[:len(old):len(old)], attrs...)))
}

// contextHandler adds the attributes of a record's context.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	if a, ok := ctx.Value(AttrsKey{}).(Attrs); ok {
		r.AddAttrs(a.LogAttrs()...)
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
