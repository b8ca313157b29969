// The DNS benchmark's relay, native: the same job as relay.mjs (queries go on to the server at
// once, answers come back `delay` ms later) without the CPU a Node relay spends per datagram.
// On a 2-core machine that CPU was taken from the variant measured and from the server, and the
// Node relay forwarded queries at its own pace, so the server never saw the client's bursts.
//
// Usage: relay PORT UPSTREAM_PORT DELAY_MS  (both on 127.0.0.1; PORT 0: any free one). Prints
// "ready PORT" once bound; each line read on stdin prints the counters since the line before as
// JSON; end of stdin ends it.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

// Upstream ids are ours: a slot per id remembers whom to answer, with which id.
struct slot { uint16_t id; uint8_t used; struct sockaddr_in client; };
// An answer held back until `due` (CLOCK_MONOTONIC ns), in arrival order: one delay for all.
struct held { struct held *next; uint64_t due; struct sockaddr_in client; size_t len; unsigned char data[]; };

static struct slot slots[65536];
static struct held *head, *tail;
// Questions seen this round (hashes of name, type and class), to tell retransmissions apart.
#define SEEN_SLOTS (1u << 20)
static uint64_t *seen;
static unsigned long seen_count, queries, distinct, answers;

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void count_question(const unsigned char *msg, size_t len) {
  size_t at = 12;
  while (at < len && msg[at] != 0) at += (size_t)msg[at] + 1;
  if (at + 3 > len || seen_count >= SEEN_SLOTS / 2) return;
  uint64_t h = 1469598103934665603u; // FNV-1a over the question section
  for (size_t i = 12; i < at + 3; i++) h = (h ^ msg[i]) * 1099511628211u;
  if (h == 0) h = 1;
  for (size_t i = h & (SEEN_SLOTS - 1);; i = (i + 1) & (SEEN_SLOTS - 1)) {
    if (seen[i] == h) return;
    if (seen[i] == 0) { seen[i] = h; seen_count++; distinct++; return; }
  }
}

static void arm(int timer) {
  struct itimerspec when;
  memset(&when, 0, sizeof when);
  if (head != NULL) {
    when.it_value.tv_sec = (time_t)(head->due / 1000000000u);
    when.it_value.tv_nsec = (long)(head->due % 1000000000u);
  }
  timerfd_settime(timer, TFD_TIMER_ABSTIME, &when, NULL);
}

static int udp_socket(void) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int size = 1 << 26;
  // Buffers large enough that the relay never drops: drops belong to the server's socket.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  return fd;
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: relay PORT UPSTREAM_PORT DELAY_MS\n");
    return 2;
  }
  uint64_t delay = (uint64_t)(atof(argv[3]) * 1e6);
  seen = calloc(SEEN_SLOTS, sizeof *seen);
  int front = udp_socket(), back = udp_socket();
  struct sockaddr_in local = loopback(atoi(argv[1])), upstream = loopback(atoi(argv[2]));
  if (seen == NULL || front < 0 || back < 0) { perror("relay"); return 1; }
  if (bind(front, (struct sockaddr *)&local, sizeof local) != 0) { perror("relay: bind"); return 1; }
  if (connect(back, (struct sockaddr *)&upstream, sizeof upstream) != 0) { perror("relay: connect"); return 1; }
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  int loop = epoll_create1(0);
  int fds[4] = { front, back, timer, STDIN_FILENO };
  for (int i = 0; i < 4; i++) {
    struct epoll_event e = { .events = EPOLLIN, .data.fd = fds[i] };
    epoll_ctl(loop, EPOLL_CTL_ADD, fds[i], &e);
  }
  socklen_t length = sizeof local;
  getsockname(front, (struct sockaddr *)&local, &length);
  printf("ready %d\n", ntohs(local.sin_port));
  fflush(stdout);
  static unsigned char buf[65536];
  uint16_t next_id = 0;
  for (;;) {
    struct epoll_event events[8];
    int n = epoll_wait(loop, events, 8, -1);
    if (n < 0 && errno != EINTR) { perror("relay: epoll_wait"); return 1; }
    for (int k = 0; k < n; k++) {
      int fd = events[k].data.fd;
      if (fd == STDIN_FILENO) {
        char line[256];
        if (read(STDIN_FILENO, line, sizeof line) <= 0) return 0;
        printf("{\"queries\":%lu,\"distinct\":%lu,\"answers\":%lu}\n", queries, distinct, answers);
        fflush(stdout);
        queries = distinct = answers = seen_count = 0;
        memset(seen, 0, SEEN_SLOTS * sizeof *seen);
      } else if (fd == front) {
        for (;;) {
          struct sockaddr_in client;
          socklen_t size = sizeof client;
          ssize_t len = recvfrom(front, buf, sizeof buf, 0, (struct sockaddr *)&client, &size);
          if (len < 0) break;
          if (len < 12) continue;
          queries++;
          count_question(buf, (size_t)len);
          struct slot *s = &slots[next_id];
          s->id = (uint16_t)(buf[0] << 8 | buf[1]);
          s->used = 1;
          s->client = client;
          buf[0] = (unsigned char)(next_id >> 8);
          buf[1] = (unsigned char)next_id;
          next_id++;
          send(back, buf, (size_t)len, 0);
        }
      } else if (fd == back) {
        for (;;) {
          ssize_t len = recv(back, buf, sizeof buf, 0);
          if (len < 0) break;
          if (len < 12) continue;
          struct slot *s = &slots[buf[0] << 8 | buf[1]];
          if (!s->used) continue;
          answers++;
          buf[0] = (unsigned char)(s->id >> 8);
          buf[1] = (unsigned char)s->id;
          if (delay == 0) {
            sendto(front, buf, (size_t)len, 0, (struct sockaddr *)&s->client, sizeof s->client);
            continue;
          }
          struct held *h = malloc(sizeof *h + (size_t)len);
          if (h == NULL) continue;
          h->next = NULL;
          h->due = now_ns() + delay;
          h->client = s->client;
          h->len = (size_t)len;
          memcpy(h->data, buf, (size_t)len);
          if (tail != NULL) tail->next = h;
          else { head = h; arm(timer); }
          tail = h;
        }
      } else if (fd == timer) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) perror("relay: timer");
        // What is due within 0.2 ms goes now: a timer per answer would cost more than it is worth.
        uint64_t now = now_ns() + 200000u;
        while (head != NULL && head->due <= now) {
          struct held *h = head;
          head = h->next;
          if (head == NULL) tail = NULL;
          sendto(front, h->data, h->len, 0, (struct sockaddr *)&h->client, sizeof h->client);
          free(h);
        }
        arm(timer);
      }
    }
  }
}
