/**
 * Real lines captured on this kind of machine (Debian 12, kernel 6.18, conntrack-tools 1.4.7) for the parser
 * tests: loopback TCP (IPv4 and IPv6) and UDP traffic between two node processes, with an
 * `iptables -A OUTPUT -m conntrack --ctstate NEW -j ACCEPT` rule so the kernel tracks connections, once with
 * `net.netfilter.nf_conntrack_acct=1` (byte and packet counts) and once without, and a connection to
 * 127.0.0.1:18090 rewritten by `iptables -t nat -A OUTPUT ... -j DNAT --to-destination 127.0.0.1:18081`.
 */

/** `cat /proc/net/nf_conntrack` with accounting on (IPv6 written in full). */
export const nfConntrackAcct = `ipv4     2 tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=33382 dport=18081 packets=2 bytes=112 src=127.0.0.1 dst=127.0.0.1 sport=18081 dport=33382 packets=1 bytes=60 [ASSURED] mark=0 zone=0 use=2
ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=33372 dport=18081 packets=5 bytes=272 src=127.0.0.1 dst=127.0.0.1 sport=18081 dport=33372 packets=5 bytes=277 [ASSURED] mark=0 zone=0 use=2
ipv6     10 tcp      6 119 TIME_WAIT src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=40044 dport=18081 packets=5 bytes=372 src=0000:0000:0000:0000:0000:0000:0000:0001 dst=0000:0000:0000:0000:0000:0000:0000:0001 sport=18081 dport=40044 packets=5 bytes=377 [ASSURED] mark=0 zone=0 use=2
ipv4     2 udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=43527 dport=18082 packets=1 bytes=30 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=18082 dport=43527 packets=0 bytes=0 mark=0 zone=0 use=2
`

/** `conntrack -L -o extended` of the same table (IPv6 compressed, no zone). */
export const conntrackList = `ipv4     2 tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=33382 dport=18081 packets=2 bytes=112 src=127.0.0.1 dst=127.0.0.1 sport=18081 dport=33382 packets=1 bytes=60 [ASSURED] mark=0 use=1
ipv4     2 tcp      6 119 TIME_WAIT src=127.0.0.1 dst=127.0.0.1 sport=33372 dport=18081 packets=5 bytes=272 src=127.0.0.1 dst=127.0.0.1 sport=18081 dport=33372 packets=5 bytes=277 [ASSURED] mark=0 use=1
ipv6     10 tcp      6 119 TIME_WAIT src=::1 dst=::1 sport=40044 dport=18081 packets=5 bytes=372 src=::1 dst=::1 sport=18081 dport=40044 packets=5 bytes=377 [ASSURED] mark=0 use=1
ipv4     2 udp      17 29 src=127.0.0.1 dst=127.0.0.1 sport=43527 dport=18082 packets=1 bytes=30 [UNREPLIED] src=127.0.0.1 dst=127.0.0.1 sport=18082 dport=43527 packets=0 bytes=0 mark=0 use=1
`

/** /proc/net/nf_conntrack without accounting, with the DNAT'ed connection first. */
export const nfConntrackNat = `ipv4     2 tcp      6 431999 ESTABLISHED src=127.0.0.1 dst=127.0.0.1 sport=50284 dport=18090 src=127.0.0.1 dst=127.0.0.1 sport=18081 dport=50284 [ASSURED] mark=0 zone=0 use=2
`

/** /proc/net/tcp at the same moment: the client's socket still names the address it dialled (18090). */
export const procNetTcpNat = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1151 1 00000000b1e42bd1 100 0 0 10 0
   1: 0100007F:46A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 680567 1 00000000df28cbe9 100 0 0 10 0
   2: 0100007F:8266 0100007F:46A1 06 00000000:00000000 03:000015B4 00000000     0        0 0 3 000000006e8c00a8
   3: 0100007F:C46C 0100007F:46AA 01 00000000:00000000 00:00000000 00000000     0        0 680568 2 000000008aedb628 20 4 30 11 -1
   4: 0100007F:46A1 0100007F:C46C 01 00000000:00000000 00:00000000 00000000     0        0 680569 2 000000003bb95161 20 4 31 11 -1
`
