// Command etcd is the real etcd server, built from the Go module proxy by hack/tools.sh
// (`go install go.etcd.io/etcd/server/v3@…` cannot work: that module has replace directives).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
