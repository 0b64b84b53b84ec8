// Package rabbittest gives tests (and `make lab`) a real RabbitMQ broker with
// the management plugin.
//
// With YEETSCALE_TEST_RABBITMQ_MGMT_URL set (for example
// http://admin:secret@rabbit.example:15672, the userinfo being an
// administrator's credentials) and YEETSCALE_TEST_RABBITMQ_AMQP_URL set (for
// example amqp://admin:secret@rabbit.example:5672/), the harness uses that
// broker and starts nothing.
//
// Otherwise it runs a harness-owned local node, started once and reused by
// every test package and test run on the machine:
//
//   - node name yeetscale-test@localhost, AMQP on 127.0.0.1:21672, management
//     API on 127.0.0.1:21673, Erlang distribution on 127.0.0.1:21674
//     (YEETSCALE_TEST_RABBITMQ_PORT_BASE moves all three);
//   - its own config (RabbitMQ's default statistics interval of 5 s, as users
//     run it; a running node whose configuration files differ from this
//     harness's is restarted once), Mnesia, log and cookie files under
//     $XDG_CACHE_HOME/yeetscale/rabbittest (YEETSCALE_TEST_RABBITMQ_DIR
//     overrides), with HOME pointed there so that root's cookie is not used;
//   - start-up is guarded by a file lock in that directory, so parallel
//     `go test` package processes start one node; a node already answering
//     on the management port with the expected node name is reused;
//   - when RabbitMQ is not installed and the process runs as root with
//     apt-get available, it runs
//     `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server`
//     (set YEETSCALE_TEST_RABBITMQ_NO_INSTALL=1 to forbid that); otherwise
//     it fails with that command.
//
// The node is left running after the tests; stop it with StopLocal or
// `kill $(cat ~/.cache/yeetscale/rabbittest/rabbit.pid)`. Each test isolates
// itself with its own queue (NewQueue) or vhost (NewVHost), deleted at
// cleanup. A broker that cannot start fails the test with the reason; it is
// never skipped.
package rabbittest
