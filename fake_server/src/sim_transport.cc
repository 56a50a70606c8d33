// The simulated transport. See sim_transport.h for the model and
// docs/sim-transport.md for the reasoning behind each rule.
//
// Layout. A Link is one simulated connection: two Sides (the TCP state each
// endpoint has: FIN sent, closed, FIN or RST received, the socket error not
// reported yet), the bytes in flight each way, the server's script cursor,
// and the client's call counters; it and the queues are in sim_link.h. Ops
// holds every operation: the server's state machine (run_server / run_step),
// the records, the TCP effects and the clock (advance_to) in sim_server.cc;
// the client's calls, entered through SimConnection, in sim_client_calls.cc.
// This file opens connections (connect) and runs the servers to their end.
// Time moves only in advance_to(), which always runs the earliest pending
// server event first, across all connections, so events are processed in
// time order and the trace reads chronologically.
//
// Invariant that keeps every run finite: after run_server() a server is
// either done or has next_at > now (its next timed event, or its deadline
// when it waits for the client). Every wait of a server is bounded by its
// scenario deadline, so advance_to() always terminates.
#include "sockcheck/sim_transport.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "sim_link.h"
#include "sockcheck/script_plan.h"

namespace sockcheck {

using sim::clamp_size;
using sim::errc;
using sim::kNever;
using sim::sat_add;

SimTransport::SimTransport(const Scenario& scenario, SimOptions options)
    : scenario_(scenario), options_(options) {
  if (options_.trace) trace_.reserve(2048);
}

SimTransport::~SimTransport() = default;

TimePoint SimTransport::now() { return now_; }

ConnectResult SimTransport::connect(const Endpoint& /*to*/, TimePoint /*deadline*/) {
  const int number = connection_count() + 1;
  ScriptPlan plan = plan_connection(scenario_, number);
  ServerObservation o;
  o.connection = number;
  if (plan.refused()) {
    o.refused = true;
    o.script_completed = true;
    o.events.push_back({Duration::zero(),
                        plan.refusal == ScriptPlan::Refusal::no_script
                            ? "refused (no script for this connection)"
                            : "refused"});
    observations_.push_back(std::move(o));
    links_.push_back(nullptr);
    Ops::trace(*this, number, "connect -> ECONNREFUSED");
    return {nullptr, errc(std::errc::connection_refused)};
  }

  auto link = std::make_unique<Link>();
  Link& l = *link;
  l.number = number;
  l.obs = observations_.size();
  l.plan = std::move(plan);
  l.arrival = l.origin = now_;
  l.deadline = sat_add(now_, scenario_.deadline());
  l.next_at = now_;
  l.server_window = std::max<std::size_t>(
      clamp_size(l.plan.initial_window.value_or(options_.server_receive_window)), 1);
  l.client_window = std::max<std::size_t>(options_.client_receive_window, 1);
  o.steps_done.reserve(l.plan.steps.size());  // one allocation per run
  observations_.push_back(std::move(o));
  links_.push_back(std::move(link));
  Ops::trace(*this, number, "connect -> ok");
  return {std::make_unique<SimConnection>(*this, l), {}};
}

const std::vector<ServerObservation>& SimTransport::run_servers_to_end() {
  for (;;) {
    const TimePoint e = Ops::earliest_server_event(*this);
    if (e == kNever) break;
    Ops::advance_to(*this, e);
  }
  return observations_;
}

const SimClientCalls& SimTransport::client_calls(int connection) const {
  static const SimClientCalls kNone;
  const auto i = static_cast<std::size_t>(connection - 1);
  const Link* l = links_.at(i).get();
  return l != nullptr ? l->calls : kNone;
}

}  // namespace sockcheck
