package middleware

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in a handler into a 500 with a JSON body, and logs it once at ERROR
// with its stack; the server goes on serving. If the handler had already started its response,
// the client gets that truncated response instead. A panic with http.ErrAbortHandler, the
// standard way to abort a response, goes through untouched and unlogged.
func Recover(logger *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r, route := withRouteRecord(r)
			rw := record(w)
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.ErrorContext(r.Context(), "panic serving request",
					"method", r.Method, "route", route.get(), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if rw.status != 0 {
					panic(http.ErrAbortHandler) // too late for a 500: close the connection instead
				}
				WriteError(rw, r, http.StatusInternalServerError, "internal server error")
			}()
			next.ServeHTTP(rw, r)
		})
	}
}
