// Shared state of the interposer (libsockcheck_preload.so), internal to it.
//
// Theory of operation. The harness starts a client program with
// LD_PRELOAD=…/libsockcheck_preload.so and SOCKCHECK_PRELOAD=CONFIG-FILE.
// At load the library reads the file (config.cc): the fake server's address
// and port, the faults to inject, the level and the trace file. From then
// on every interposed libc call (interpose.cc) first asks whether its
// descriptor is one of the target connections (a socket whose connect()
// went to that address): every other descriptor goes straight to the real
// function. On a target connection each call is counted per class (send,
// recv, wait, shutdown: the scenario language's CALL), the faults for that
// class and index are looked up, checked against what the kernel could
// really return to this process (realism.cc), injected or skipped, and one
// record is appended to the trace (trace.cc).
//
// Nothing here throws or allocates after load: the tables are static
// arrays of atomics, records are formatted on the stack and written with a
// single write(2) on an O_APPEND descriptor, so calls from several threads,
// from signal handlers and from forked children interleave whole records.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include <netinet/in.h>
#include <sys/types.h>

namespace sockcheck_preload {

// The scenario language's CALL (Injection::Call), in the same order.
enum class CallClass : std::uint8_t { send, recv, wait, shutdown };
inline constexpr int kCallClasses = 4;
const char* class_name(CallClass c) noexcept;

enum class FaultKind : std::uint8_t { eintr, eagain, short_count };
const char* fault_name(FaultKind k) noexcept;

struct Fault {
  CallClass call = CallClass::recv;
  FaultKind kind = FaultKind::eintr;
  std::uint32_t every = 1;  // the 1st, (1+every)th, ... call of the class
  std::uint32_t at = 0;     // only the at-th call (0: use every)
};

enum class Level : std::uint8_t { realistic, portable };

inline constexpr int kMaxFaults = 16;

struct Config {
  bool active = false;  // a target was configured
  sa_family_t family = AF_INET;
  in_addr addr4{};
  in6_addr addr6{};
  in_port_t port = 0;  // network order
  Level level = Level::realistic;
  Fault faults[kMaxFaults];
  int fault_count = 0;
  int trace_fd = -1;
};
extern Config g_config;

// Reads SOCKCHECK_PRELOAD (a file name) into g_config and opens the trace.
void load_config() noexcept;

// One target connection (a socket connected to the fake server).
inline constexpr int kMaxConnections = 64;
struct Connection {
  std::atomic<std::uint32_t> calls[kCallClasses];
  std::atomic<std::uint32_t> in_a_row[kCallClasses];  // injected in a row
  std::atomic<int> open_fds;
  std::atomic<bool> shut_wr;
  std::atomic<std::uint64_t> spin;      // real EAGAINs in a row, no wait
  std::atomic<std::uint64_t> spin_start_ns;
};
extern Connection g_connections[kMaxConnections];

// Descriptor table: 0 not a target; n > 0 open on connection n-1;
// n < 0 was connection -n-1 until closed.
inline constexpr int kMaxFds = 65536;
int fd_connection(int fd) noexcept;        // connection index, or -1
int fd_closed_connection(int fd) noexcept; // connection it was closed on, or -1
int new_connection(int fd) noexcept;       // index, or -1 if the table is full
void map_fd(int fd, int connection) noexcept;
void unmap_fd(int fd) noexcept;  // marks it closed

// What a call on a target connection should suffer.
struct Decision {
  bool matched = false;    // a fault is scheduled for this call
  bool inject = false;     // ... and it is injected
  FaultKind kind = FaultKind::eintr;
  const char* skipped_because = nullptr;  // not realistic: why
};
// Counts the call (its 1-based index in its class goes to `index`) and
// decides. `flags` are the call's MSG_* flags; `size` the bytes asked;
// `wait_ms` a wait's timeout (-1 none).
Decision decide(int conn, CallClass c, int fd, int flags, std::size_t size,
                long wait_ms, std::uint32_t& index) noexcept;

// Whether `kind` on this call is one the kernel could return to this
// process; nullptr if so, else why not (one sentence).
const char* unrealistic(FaultKind kind, CallClass c, int fd, int flags,
                        std::size_t size, long wait_ms) noexcept;

std::uint64_t now_ns() noexcept;

// Trace records (trace.cc). `fn` is the libc function the program called.
void trace_hello() noexcept;
void trace_call(int conn, const char* fn, CallClass c, std::uint32_t index,
                long long asked, long long result, int err,
                const Decision& d) noexcept;
void trace_event(int conn, const char* what, long long arg, long long result,
                 int err) noexcept;
// A real EAGAIN (counts a busy loop) or any other result (ends one).
void note_result(int conn, CallClass c, long long result, int err) noexcept;
void note_wait(int conn) noexcept;

}  // namespace sockcheck_preload
