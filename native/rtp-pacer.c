/*
 * rtp-pacer: sends prepared RTP packets at their due time from a native thread.
 *
 * Why (docs/adr/0006-native-rtp-pacer.md): a media worker sends each 20 ms frame of all its calls
 * from JavaScript, one dgram send after another (~8 us each under load), right when its tick
 * runs. A stream's send time then moves with the tick's start (the worker's event loop may be
 * delivering inbound packets when the tick is due) and with how long the sends before it took
 * (GC, cache misses, the other core's load): that variation is the send jitter a peer sees.
 * Here the worker hands each call's NEXT packet over one tick ahead with its due time (the
 * tick grid, CLOCK_MONOTONIC: the clock of process.hrtime), and one thread that does nothing
 * else sleeps until that time and issues send(2) itself: no event loop, no GC, no JS in the way.
 *
 * One pacer per process, shared by every media worker (a slot is owned by the worker that
 * opened it). A slot holds one packet for one connected UDP socket:
 *
 *     FREE --open(fd)--> IDLE --submit()--> READY --(pacer thread, at due)--> SENDING --> IDLE
 *                         ^                  |                                             |
 *                         |                  +--cancel()--> IDLE                           |
 *                         +--------------------------------------------------------------+
 *     IDLE/READY --close()--> FREE   (close cancels, then waits out a SENDING)
 *
 * The READY -> SENDING and READY -> IDLE (cancel) transitions are compare-and-swap, so a packet
 * is either sent by the pacer or given back to the worker, never both; close() returns only when
 * the pacer no longer uses the fd, so the worker may close the socket right after it.
 *
 * The caller (src/media/engine/native-pacer.ts) owns the sockets; the fd is only borrowed.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { S_FREE = 0, S_IDLE = 1, S_READY = 2, S_SENDING = 3 };

/* Enough for ~16k concurrent RTP streams; the RTP port range bounds it far lower in practice. */
#define MAX_SLOTS 16384
/* 20 ms of 48 kHz L16 (1,920 bytes) + RTP header, rounded up. */
#define MAX_PACKET 2048
/* Packets due within this much of now are sent in the same wake-up rather than slept for. */
#define SLACK_NS 20000LL

typedef struct {
  _Atomic int state;
  int fd;
  int len;
  int64_t due_ns;
  napi_env owner;
  unsigned char buf[MAX_PACKET];
} slot_t;

static slot_t *slots;         /* MAX_SLOTS, allocated on first open (lazily paged) */
static _Atomic int hi;        /* one past the highest slot index ever opened */
static int free_list[MAX_SLOTS];
static int free_count;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;  /* slot allocation + the thread's sleep */
static pthread_cond_t cv;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int started;
static int start_error;
/* The time the thread sleeps until (INT64_MAX: nothing pending); a submit due earlier wakes it. */
static _Atomic int64_t wake_at = INT64_MAX;
static int signalled;

/* Counters, written by the pacer thread only (relaxed), read by any worker. */
static _Atomic uint64_t n_sent, n_errors, n_cancelled, n_wakeups;
/* Lateness of each send behind its due time: < 50 us, 100, 250, 500 us, 1, 2, 5 ms, more. */
#define LATE_BUCKETS 8
static const int64_t late_bounds_ns[LATE_BUCKETS - 1] = {50000, 100000, 250000, 500000, 1000000, 2000000, 5000000};
static _Atomic uint64_t late_hist[LATE_BUCKETS];
static _Atomic int64_t late_max_ns;
static char priority_desc[64] = "not started";
/* Set by the pacer thread once it has chosen its scheduling (priority_desc is final then). */
static _Atomic int priority_set;

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void observe_late(int64_t late) {
  if (late < 0) late = 0;
  int b = 0;
  while (b < LATE_BUCKETS - 1 && late >= late_bounds_ns[b]) b++;
  atomic_fetch_add_explicit(&late_hist[b], 1, memory_order_relaxed);
  if (late > atomic_load_explicit(&late_max_ns, memory_order_relaxed)) atomic_store_explicit(&late_max_ns, late, memory_order_relaxed);
}

/*
 * Scheduling: the pacer's whole point is to run when a packet is due, so it asks for more than
 * the workers get: SCHED_FIFO priority 10 (real-time; needs CAP_SYS_NICE, as root has), the way
 * media servers run their media threads (FreeSWITCH -rp, Asterisk -p, PJSIP). Measured: with
 * nice -15 instead, the workers' own ticks and SIPp compete with the send burst on a 2-core
 * machine and p99 send jitter at 1,000 calls was 3.4 ms; with SCHED_FIFO 1.1 ms
 * (docs/benchmarks.md). The thread's work is bounded (one send(2) per due packet, then sleep),
 * and the kernel's RT throttling keeps 5 % of each core for others anyway.
 * SWITCHBOARD_MEDIA_PACER_RT=0 skips it. When refused (no privilege) it falls back to nice -15,
 * then to the default priority, and says which in its stats. Timer slack 1 ns: a sleeping
 * thread's wake-up is otherwise rounded up by up to 50 us.
 */
static void set_priority(void) {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  const char *rt = getenv("SWITCHBOARD_MEDIA_PACER_RT");
  if (!rt || strcmp(rt, "0") != 0) {
    struct sched_param sp = {.sched_priority = 10};
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0) {
      snprintf(priority_desc, sizeof priority_desc, "SCHED_FIFO 10");
      return;
    }
  }
  pid_t tid = (pid_t)syscall(SYS_gettid);
  const char *why = rt && strcmp(rt, "0") == 0 ? "" : " (SCHED_FIFO refused)";
  if (setpriority(PRIO_PROCESS, (id_t)tid, -15) == 0) snprintf(priority_desc, sizeof priority_desc, "nice -15%s", why);
  else snprintf(priority_desc, sizeof priority_desc, "default (SCHED_FIFO and nice refused: %s)", strerror(errno));
}

static void *pacer_main(void *arg) {
  (void)arg;
  set_priority();
  atomic_store(&priority_set, 1);
  for (;;) {
    int64_t now = mono_ns();
    int64_t next = INT64_MAX;
    int n = atomic_load_explicit(&hi, memory_order_acquire);
    for (int i = 0; i < n; i++) {
      slot_t *s = &slots[i];
      if (atomic_load_explicit(&s->state, memory_order_acquire) != S_READY) continue;
      int64_t due = s->due_ns;
      if (due > now + SLACK_NS) {
        if (due < next) next = due;
        continue;
      }
      int expect = S_READY;
      if (!atomic_compare_exchange_strong_explicit(&s->state, &expect, S_SENDING, memory_order_acq_rel, memory_order_acquire)) continue;
      /* Busy-wait the last few microseconds: sending early is as much jitter as sending late. */
      while ((now = mono_ns()) < due) { }
      ssize_t r = send(s->fd, s->buf, (size_t)s->len, MSG_DONTWAIT | MSG_NOSIGNAL);
      observe_late(now - due);
      if (r == s->len) atomic_fetch_add_explicit(&n_sent, 1, memory_order_relaxed);
      else atomic_fetch_add_explicit(&n_errors, 1, memory_order_relaxed);
      atomic_store_explicit(&s->state, S_IDLE, memory_order_release);
    }
    pthread_mutex_lock(&mu);
    if (!signalled) {
      atomic_store(&wake_at, next);
      if (next == INT64_MAX) {
        pthread_cond_wait(&cv, &mu);
      } else {
        struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
        pthread_cond_timedwait(&cv, &mu, &ts);
      }
    }
    signalled = 0;
    atomic_store(&wake_at, INT64_MAX);
    pthread_mutex_unlock(&mu);
    atomic_fetch_add_explicit(&n_wakeups, 1, memory_order_relaxed);
  }
  return NULL;
}

static void start_once(void) {
  slots = calloc(MAX_SLOTS, sizeof(slot_t));
  if (!slots) { start_error = ENOMEM; return; }
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_t t;
  pthread_attr_t ta;
  pthread_attr_init(&ta);
  pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
  int e = pthread_create(&t, &ta, pacer_main, NULL);
  pthread_attr_destroy(&ta);
  if (e != 0) { start_error = e; return; }
  started = 1;
}

/* ---- N-API glue -------------------------------------------------------------------------- */

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "rtp-pacer: " #call " failed"); return NULL; } } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static int slot_arg(napi_env env, napi_value v) {
  int32_t i = -1;
  if (napi_get_value_int32(env, v, &i) != napi_ok || i < 0 || i >= atomic_load(&hi)) return -1;
  return i;
}

/* Wait until the pacer is done with slot s, then take it to IDLE if it was READY. Returns 1 when a READY packet was taken back. */
static int cancel_slot(slot_t *s) {
  for (;;) {
    int st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (st == S_READY) {
      int expect = S_READY;
      if (atomic_compare_exchange_strong_explicit(&s->state, &expect, S_IDLE, memory_order_acq_rel, memory_order_acquire)) {
        atomic_fetch_add_explicit(&n_cancelled, 1, memory_order_relaxed);
        return 1;
      }
      continue;
    }
    if (st == S_SENDING) { sched_yield(); continue; } /* one send(2): microseconds */
    return 0;
  }
}

static void free_slot(int i) {
  slot_t *s = &slots[i];
  cancel_slot(s);
  pthread_mutex_lock(&mu);
  s->fd = -1;
  s->owner = NULL;
  atomic_store_explicit(&s->state, S_FREE, memory_order_release);
  free_list[free_count++] = i;
  pthread_mutex_unlock(&mu);
}

/* A worker going away frees the slots it still holds (its sockets close with it). */
static void env_cleanup(void *arg) {
  napi_env env = (napi_env)arg;
  if (!slots) return;
  int n = atomic_load(&hi);
  for (int i = 0; i < n; i++) {
    if (slots[i].owner == env && atomic_load(&slots[i].state) != S_FREE) free_slot(i);
  }
}

/* open(fd) -> slot index; throws when the pacer cannot run or no slot is left. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "rtp-pacer: open(fd) needs a file descriptor");
    return NULL;
  }
  pthread_once(&once, start_once);
  if (!started) {
    napi_throw_error(env, NULL, "rtp-pacer: the pacer thread could not start");
    return NULL;
  }
  pthread_mutex_lock(&mu);
  int i = -1;
  if (free_count > 0) i = free_list[--free_count];
  else if (atomic_load(&hi) < MAX_SLOTS) i = atomic_load(&hi);
  if (i >= 0) {
    slots[i].fd = fd;
    slots[i].owner = env;
    atomic_store_explicit(&slots[i].state, S_IDLE, memory_order_release);
    if (i == atomic_load(&hi)) atomic_store_explicit(&hi, i + 1, memory_order_release);
  }
  pthread_mutex_unlock(&mu);
  if (i < 0) {
    napi_throw_error(env, "PACER_FULL", "rtp-pacer: no free slot");
    return NULL;
  }
  return num(env, i);
}

/* The slot named by a call's only argument, or -1 (missing, not a number, never opened). */
static int slot_of_call(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return -1;
  return slot_arg(env, argv[0]);
}

static napi_value boolean(napi_env env, int v) {
  napi_value r;
  napi_get_boolean(env, v != 0, &r);
  return r;
}

/* submit(slot, bytes: Uint8Array, len, dueMs) -> true when queued; false when the slot still holds a packet (or is closed). */
static napi_value js_submit(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_value no = boolean(env, 0);
  if (argc < 4) return no;
  int i = slot_arg(env, argv[0]);
  if (i < 0) return no;
  void *data = NULL;
  size_t bytes = 0;
  napi_typedarray_type tt;
  napi_value ab;
  size_t off = 0;
  if (napi_get_typedarray_info(env, argv[1], &tt, &bytes, &data, &ab, &off) != napi_ok || tt != napi_uint8_array) return no;
  int32_t len = 0;
  double due_ms = 0;
  napi_get_value_int32(env, argv[2], &len);
  napi_get_value_double(env, argv[3], &due_ms);
  if (len <= 0 || (size_t)len > bytes || len > MAX_PACKET || !isfinite(due_ms)) return no;
  slot_t *s = &slots[i];
  if (atomic_load_explicit(&s->state, memory_order_acquire) != S_IDLE) return no;
  memcpy(s->buf, data, (size_t)len);
  s->len = len;
  int64_t due = (int64_t)(due_ms * 1e6);
  s->due_ns = due;
  atomic_store_explicit(&s->state, S_READY, memory_order_release);
  if (due < atomic_load(&wake_at)) {
    pthread_mutex_lock(&mu);
    signalled = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  }
  return boolean(env, 1);
}

/* cancel(slot) -> true when a queued packet was taken back (it will not be sent); false when it was sent already or none was queued. */
static napi_value js_cancel(napi_env env, napi_callback_info info) {
  int i = slot_of_call(env, info);
  return boolean(env, i >= 0 && atomic_load(&slots[i].state) != S_FREE && cancel_slot(&slots[i]));
}

/* pending(slot) -> true while a submitted packet has not been sent yet. */
static napi_value js_pending(napi_env env, napi_callback_info info) {
  int i = slot_of_call(env, info);
  int st = i < 0 ? S_FREE : atomic_load(&slots[i].state);
  return boolean(env, st == S_READY || st == S_SENDING);
}

/* close(slot): cancel, wait out a send in progress, free. After it returns the fd is not used again. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  int i = slot_of_call(env, info);
  if (i >= 0 && atomic_load(&slots[i].state) != S_FREE) free_slot(i);
  return NULL;
}

/* sendNow(fd, bytes, len) -> true when send(2) took the whole datagram (a connected socket). */
static napi_value js_send_now(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, len = 0;
  void *data = NULL;
  size_t bytes = 0, off = 0;
  napi_typedarray_type tt;
  napi_value ab;
  int ok = argc >= 3 && napi_get_value_int32(env, argv[0], &fd) == napi_ok && fd >= 0 &&
           napi_get_typedarray_info(env, argv[1], &tt, &bytes, &data, &ab, &off) == napi_ok && tt == napi_uint8_array &&
           napi_get_value_int32(env, argv[2], &len) == napi_ok && len > 0 && (size_t)len <= bytes;
  ok = ok && send(fd, data, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) == len;
  return boolean(env, ok);
}

static void set_num(napi_env env, napi_value o, const char *k, double v) {
  napi_set_named_property(env, o, k, num(env, v));
}

/* stats() -> { sent, errors, cancelled, wakeups, slotsInUse, lateMaxMs, lateHist: number[8], priority } */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value o, arr, pr;
  CHECK(napi_create_object(env, &o));
  set_num(env, o, "sent", (double)atomic_load(&n_sent));
  set_num(env, o, "errors", (double)atomic_load(&n_errors));
  set_num(env, o, "cancelled", (double)atomic_load(&n_cancelled));
  set_num(env, o, "wakeups", (double)atomic_load(&n_wakeups));
  pthread_mutex_lock(&mu);
  int in_use = atomic_load(&hi) - free_count;
  pthread_mutex_unlock(&mu);
  set_num(env, o, "slotsInUse", in_use);
  set_num(env, o, "lateMaxMs", (double)atomic_load(&late_max_ns) / 1e6);
  CHECK(napi_create_array_with_length(env, LATE_BUCKETS, &arr));
  for (int b = 0; b < LATE_BUCKETS; b++) napi_set_element(env, arr, (uint32_t)b, num(env, (double)atomic_load(&late_hist[b])));
  napi_set_named_property(env, o, "lateHist", arr);
  CHECK(napi_create_string_utf8(env, priority_desc, NAPI_AUTO_LENGTH, &pr));
  napi_set_named_property(env, o, "priority", pr);
  return o;
}

/* start() -> the pacer thread's scheduling ("SCHED_FIFO 10", "nice -15 ...", ...), once it has chosen it (waits up to 1 s); throws when the thread cannot start. */
static napi_value js_start(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_once(&once, start_once);
  if (!started) {
    napi_throw_error(env, NULL, "rtp-pacer: the pacer thread could not start");
    return NULL;
  }
  for (int i = 0; i < 1000 && !atomic_load(&priority_set); i++) {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000};
    nanosleep(&ts, NULL);
  }
  napi_value r;
  CHECK(napi_create_string_utf8(env, priority_desc, NAPI_AUTO_LENGTH, &r));
  return r;
}

/* now() -> CLOCK_MONOTONIC in ms (the clock due times are on; process.hrtime uses the same). */
static napi_value js_now(napi_env env, napi_callback_info info) {
  (void)info;
  return num(env, (double)mono_ns() / 1e6);
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
    {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
    {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
    {"submit", NULL, js_submit, NULL, NULL, NULL, napi_default, NULL},
    {"cancel", NULL, js_cancel, NULL, NULL, NULL, napi_default, NULL},
    {"pending", NULL, js_pending, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
    {"sendNow", NULL, js_send_now, NULL, NULL, NULL, napi_default, NULL},
    {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
    {"now", NULL, js_now, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  napi_add_env_cleanup_hook(env, env_cleanup, env);
  return exports;
}
