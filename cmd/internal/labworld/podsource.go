package labworld

import (
	"context"
	"fmt"
	"net"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FromPodIPs makes the workers started from now on connect as workers
// behind no proxy would, without a client-provided connection name: each
// from its pod's IP as the local source address, so that the broker's
// peer_host is the pod's IP. The pods' IPs must be local addresses (a lab
// whose node hands out pod IPs from 127.0.0.0/8, all loopback on Linux).
// Call it before Run.
func (p *PodWorkers) FromPodIPs() { p.fromPodIP = true }

// amqpConfig is the AMQP configuration of pod's worker: named after its
// pod, or, after FromPodIPs, unnamed and dialling from the pod's IP.
func (p *PodWorkers) amqpConfig(pod string) (amqp.Config, error) {
	cfg := amqp.Config{Vhost: p.cfg.VHost, Heartbeat: 10 * time.Second}
	if !p.fromPodIP {
		cfg.Properties = amqp.Table{"connection_name": pod}
		return cfg, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := p.client.CoreV1().Pods(p.ns).Get(ctx, pod, metav1.GetOptions{})
	if err != nil {
		return cfg, fmt.Errorf("pod %s: %w", pod, err)
	}
	ip := net.ParseIP(got.Status.PodIP)
	if ip == nil {
		return cfg, fmt.Errorf("pod %s has no IP yet", pod)
	}
	cfg.Dial = dialFrom(ip)
	return cfg, nil
}

// dialFrom dials from local address ip, with amqp091's handshake deadline
// (cleared once the connection is open).
func dialFrom(ip net.IP) func(network, addr string) (net.Conn, error) {
	return func(network, addr string) (net.Conn, error) {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 30 * time.Second}
		conn, err := d.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
}
