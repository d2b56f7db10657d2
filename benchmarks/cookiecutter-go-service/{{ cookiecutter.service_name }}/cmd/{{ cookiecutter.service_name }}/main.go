// {{ cookiecutter.description }}
//
// Usage:
//
//	{{ cookiecutter.service_name }} [-healthcheck]
//
// Settings come from the environment; internal/config lists them with their defaults.
package main

import (
	"context"
	"fmt"
	"os"
)

// serviceName names the service in its logs and on its root endpoint.
const serviceName = "{{ cookiecutter.service_name }}"

// version is the build's version, set with -ldflags "-X main.version=v1.2.3".
var version = "dev"

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", serviceName, err)
		os.Exit(1)
	}
}
