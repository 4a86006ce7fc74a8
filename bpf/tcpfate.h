/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The one header shared by the BPF programs and userspace: the record a
 * connection leaves behind when it ends, and the counters that say what
 * could not be followed.  Only fixed-size __u* types, one address layout
 * for IPv4 and IPv6 (16 bytes + family), fields ordered large to small so
 * the layout is the same on both sides without packing pragmas.
 */
#ifndef TCPFATE_H
#define TCPFATE_H

#ifndef __bpf__
#include <linux/types.h> /* the BPF side gets these from vmlinux.h */
#endif

#define TF_COMM_LEN 16
#define TF_ADDR_LEN 16

/* Records on the ring buffer start with this tag. */
enum tf_record_type {
	/* A connection reached CLOSE: everything the kernel knew at that moment. */
	TF_REC_CLOSE = 1,
	/*
	 * Something happened to an already-closed socket that changes its story:
	 * an RST sent after the move to CLOSE (SO_LINGER 0, close with unread
	 * data) or an error reported after it.  Userspace holds CLOSE records
	 * back for one drain cycle so these can be merged.
	 */
	TF_REC_AMEND = 2,
};

enum tf_direction {
	TF_DIR_UNKNOWN = 0,
	TF_DIR_OUT = 1, /* we called connect() */
	TF_DIR_IN = 2,  /* created from a listener, handed out by accept() */
};

/* Facts gathered along the way; the classifier reads them, never the kernel. */
enum tf_fact {
	TF_F_START_UNKNOWN = 1u << 0,  /* existed before tcpfate started, or first seen mid-life */
	TF_F_RST_RX = 1u << 1,         /* we received an RST (rst_rx_state says in which state) */
	TF_F_RST_TX = 1u << 2,         /* we sent an RST before the move to CLOSE */
	TF_F_RST_TX_LATE = 1u << 3,    /* we sent an RST after the move to CLOSE (abortive close) */
	TF_F_PEER_FIN = 1u << 4,       /* the peer closed first (we passed CLOSE_WAIT) */
	TF_F_LOCAL_FIN = 1u << 5,      /* we closed first (we passed FIN_WAIT1) */
	TF_F_ESTABLISHED = 1u << 6,    /* the handshake completed */
	TF_F_RST_REASON = 1u << 7,     /* rst_tx_reason is valid (kernel >= 6.10) */
	TF_F_OWNER_IO = 1u << 8,       /* pid/comm came from the first send/receive on it */
	TF_F_OWNER_CONNECT = 1u << 9,  /* pid/comm came from connect() */
	TF_F_OWNER_FD = 1u << 10,      /* pid/comm came from a walk of open descriptors */
	TF_F_KEEPALIVE_TIMER = 1u << 11, /* the keepalive timer fired on this socket */
	TF_F_ZERO_WINDOW = 1u << 12,   /* peer advertised a zero window at the end */
	TF_F_RST_KEEPALIVE = 1u << 13, /* the RST we sent was the keepalive timer giving up */
	TF_F_RECOVERED = 1u << 14,     /* the move to CLOSE was not seen; reported when destroyed */
	TF_F_OWNER_CLOSE = 1u << 15,   /* pid/comm came from its close() */
	TF_F_FOUND_GONE = 1u << 16,    /* freed without any close event; found gone later (with RECOVERED) */
	TF_F_OWNER_ACCEPT = 1u << 17,  /* pid/comm came from accept() (kernels before 6.3, with fexit) */
	TF_F_SETTINGS = 1u << 18,      /* the timer settings in force were read at the end (failures only) */
};

/* Which of the timer settings in force were the socket's own options rather than its namespace's sysctls. */
enum tf_own_setting {
	TF_OWN_SYNCNT = 1u << 0,    /* TCP_SYNCNT, not tcp_syn_retries */
	TF_OWN_KEEPIDLE = 1u << 1,  /* TCP_KEEPIDLE, not tcp_keepalive_time */
	TF_OWN_KEEPINTVL = 1u << 2, /* TCP_KEEPINTVL, not tcp_keepalive_intvl */
	TF_OWN_KEEPCNT = 1u << 3,   /* TCP_KEEPCNT, not tcp_keepalive_probes */
};

/* Kernel RST reasons we name in the classifier (enum sk_rst_reason, 6.10+). */
#define TF_RST_REASON_NONE 0xff

/*
 * Everything userspace learns about one connection.  Times are
 * bpf_ktime_get_ns() (CLOCK_MONOTONIC) nanoseconds; 0 means unknown.
 */
struct tf_record {
	__u64 cookie;          /* socket cookie: the key, stable for the socket's life */
	__u64 start_ns;        /* SYN sent (out) / SYN received (in) */
	__u64 established_ns;
	__u64 end_ns;          /* move to CLOSE (or the late event, for amends) */
	__u64 last_rx_ns;      /* last data byte received */
	__u64 last_tx_ns;      /* last new data byte sent */
	__u64 unanswered_ns;   /* first transmission left unanswered by the end (timeouts) */
	__u64 peer_fin_ns;     /* the peer's FIN arrived (we entered CLOSE_WAIT) */
	__u64 last_read_ns;    /* closed with data unread: the application's last read, to an RTT; 0 unknown */
	__u64 rx_bytes;
	__u64 tx_bytes;        /* acknowledged by the peer */
	__u64 retrans_bytes;
	__u64 cgroup_id;       /* the socket's cgroup v2 (its directory's inode); 0 unknown */
	__u8 saddr[TF_ADDR_LEN];
	__u8 daddr[TF_ADDR_LEN];
	__u32 pid;             /* owning process (tgid); 0 unknown */
	__u32 netns;           /* network namespace inode (as in /proc/PID/ns/net) */
	__u32 flags;           /* enum tf_fact */
	__u32 srtt_us;
	__u32 total_retrans;   /* every retransmitted segment, SYNs included */
	__u32 syn_retrans;
	__u32 rto_retrans;     /* RTO retransmits in the final episode (icsk_retransmits) */
	__u32 probes;          /* unanswered keepalive / zero-window probes at the end */
	__u32 keepalive_fires; /* keepalive timer expiries seen */
	__u32 snd_wnd;
	__u32 fin_unacked;     /* our bytes the peer had not acknowledged when its FIN came */
	__u32 tx_after_fin;    /* bytes we wrote after the peer's FIN */
	__u32 unread_at_close; /* bytes the application had not read when the socket moved to CLOSE */
	__s32 sk_err;          /* errno recorded on the socket at the end */
	__s32 sk_err_soft;
	/*
	 * The timer settings in force when a connection failed (TF_F_SETTINGS):
	 * the socket's own option where it set one (own_settings), else its
	 * namespace's sysctl.  They name the knob behind a timeout.
	 */
	__u32 user_timeout_ms;     /* TCP_USER_TIMEOUT; 0 none */
	__u32 keepalive_time_ms;   /* idle before the first keepalive probe */
	__u32 keepalive_intvl_ms;  /* between keepalive probes */
	__u16 sport;           /* host byte order */
	__u16 dport;
	__u16 family;          /* AF_INET / AF_INET6 */
	__u8 type;             /* enum tf_record_type */
	__u8 direction;        /* enum tf_direction */
	__u8 old_state;        /* TCP state before the move to CLOSE */
	__u8 rst_rx_state;     /* state in which an RST was received */
	__u8 rst_tx_state;     /* state in which we sent an RST */
	__u8 rst_tx_reason;    /* enum sk_rst_reason or TF_RST_REASON_NONE */
	__u8 syn_retries_max;  /* SYN retransmits before giving up (TCP_SYNCNT or tcp_syn_retries) */
	__u8 retries2;         /* tcp_retries2: the data retransmission budget */
	__u8 keepalive_probes_max; /* unanswered probes before giving up (TCP_KEEPCNT or tcp_keepalive_probes) */
	__u8 own_settings;     /* enum tf_own_setting */
	/*
	 * tcp_syn_linear_timeouts (6.5+): the first RTOs of a SYN that do not
	 * double, adding as many retransmits to the budget; TF_SETTING_ABSENT on
	 * kernels without it (they back off from the first).
	 */
	__u8 syn_linear_timeouts;
	char comm[TF_COMM_LEN];
};

#define TF_SETTING_ABSENT 0xff

/*
 * One open connection worth a look, written by the periodic scan of tracked
 * sockets (iter/bpf_map_elem over the connection table): it has unread data,
 * a closed window, a pending close or a retransmission episode.  Userspace
 * turns these into warnings once a condition has lasted long enough.
 */
struct tf_open_sample {
	__u64 cookie;
	__u64 now_ns;
	__u64 peer_fin_ns;     /* CLOSE_WAIT since (0: not in CLOSE_WAIT) */
	__u64 loss_since_ns;   /* first unacknowledged retransmission (0: none) */
	__u64 probe0_since_ns; /* first zero-window probe (0: none) */
	__u64 cgroup_id;
	__u8 saddr[TF_ADDR_LEN];
	__u8 daddr[TF_ADDR_LEN];
	__u32 pid;
	__u32 netns;
	__u32 unread;          /* bytes in the receive queue the application has not read */
	__u32 copied_seq;      /* the application's read position: unchanged = not reading */
	__u32 rcv_wnd;         /* window we advertise */
	__u32 snd_wnd;         /* window the peer advertises */
	__u32 unsent;          /* bytes written by the application, not yet sent */
	__u32 unacked;         /* bytes sent, not yet acknowledged */
	__u32 rto_retrans;     /* RTOs in the current episode */
	__u32 backoff;
	__u32 probes;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 state;
	__u8 direction;
	char comm[TF_COMM_LEN];
};

/*
 * One run of the scan that userspace runs itself (where the kernel refuses
 * map element iterators): a range of the fixed table's slots, or the whole
 * overflow map.  Its samples go to the scan_samples ring buffer.
 */
enum tf_scan_table {
	TF_SCAN_FIXED_SLOTS = 0,
	TF_SCAN_OVERFLOW = 1,
};

#define TF_SCAN_CHUNK 4096 /* slots per run: the reader drains its rings between runs */

struct tf_scan_run {
	__u32 table; /* enum tf_scan_table */
	__u32 first; /* TF_SCAN_FIXED_SLOTS: the first slot, and how many */
	__u32 count;
	__u32 pad;
};

/* Per-CPU counters of what tcpfate could not follow, and of its own work. */
enum tf_stat {
	TF_STAT_OPENED,          /* connections whose tracking started */
	TF_STAT_CLOSED,          /* CLOSE records submitted */
	TF_STAT_RING_LOST,       /* CLOSE records lost: ring buffer full */
	TF_STAT_AMEND_LOST,      /* amend records lost: ring buffer full */
	TF_STAT_UNTRACKED,       /* no room in the connection table (max_entries) */
	TF_STAT_TIMER_MAP_FULL,  /* keepalive timer facts could not be recorded */
	TF_STAT_RST_NO_SOCKET,   /* RSTs sent for segments that matched no full socket */
	TF_STAT_RECOVERED,       /* CLOSE missed (program re-entry), reported at destroy */
	TF_STAT_CLOSE_RESTATED,  /* CLOSE stored without the tracepoint, seen at a later CLOSE -> CLOSE */
	TF_STAT_CLOSED_FROZEN,   /* open when the counts froze, closed before the final scan reached it */
	TF_STAT_FOUND_GONE,      /* freed without a close or destroy event; reported when found gone */
	TF_STAT_MAX,
};

/* TCP states, as the kernel numbers them (include/net/tcp_states.h). */
enum tf_tcp_state {
	TF_TCP_ESTABLISHED = 1,
	TF_TCP_SYN_SENT,
	TF_TCP_SYN_RECV,
	TF_TCP_FIN_WAIT1,
	TF_TCP_FIN_WAIT2,
	TF_TCP_TIME_WAIT,
	TF_TCP_CLOSE,
	TF_TCP_CLOSE_WAIT,
	TF_TCP_LAST_ACK,
	TF_TCP_LISTEN,
	TF_TCP_CLOSING,
	TF_TCP_NEW_SYN_RECV,
	TF_TCP_BOUND_INACTIVE,
	TF_TCP_MAX_STATES,
};

#endif /* TCPFATE_H */
