package middleware

import "net/http"

// CloseWhenDraining asks the client to close its connection after each response while draining
// reports true: the response carries "Connection: close", so a pooled client opens its next
// connection elsewhere instead of sending on one the server is about to close.
func CloseWhenDraining(draining func() bool) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if draining() {
				w.Header().Set("Connection", "close")
			}
			next.ServeHTTP(w, r)
		})
	}
}
