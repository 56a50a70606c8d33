// Clients that retry: the model per connection, and clients with a retry
// defect each flagged on the right rule, on the simulated transport.
//
// Both designs are legitimate and must pass: a client that never retries
// (judged by connection 1's script) and one that retries before any reply
// byte (judged by the script of the last connection it opened). The faulty
// ones are built around the reference client's run_exchange(), so each
// differs from a correct client by its retry policy alone.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "sockcheck/client.h"
#include "sockcheck/runner.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck {
namespace {

Scenario corpus(const std::string& name) {
  const auto path = std::filesystem::path(SOCKCHECK_SOURCE_DIR) / "corpora" / "scenarios" /
                    (name + ".scn");
  ParseResult r = load_scenario_file(path);
  EXPECT_TRUE(r.ok()) << path;
  return r.ok() ? *r.scenario : Scenario{};
}

// A client whose retry policy is `again(result, connections so far)`,
// capped at `cap` connections so that no policy can loop for ever on the
// simulator's clock (a refused connect takes no virtual time).
using Policy = bool (*)(const ClientResult&);
std::unique_ptr<ClientUnderTest> retrying(const std::string& name, Policy again, int cap,
                                          bool success_after_reset = false) {
  return function_client(name, [=](Transport& net, const Endpoint& to,
                                   std::string_view request, Duration timeout) {
    const TimePoint deadline = net.now() + timeout;
    ClientOptions options;
    ClientResult r;
    for (int n = 1; n <= cap; ++n) {
      ConnectResult c = net.connect(to, deadline);
      if (!c.connection) {
        r = ClientResult{};
        r.outcome = c.error == std::errc::connection_refused ? Outcome::refused
                                                             : Outcome::connect_failed;
      } else {
        r = run_exchange(*c.connection, net, as_bytes(request), deadline, options);
      }
      if (!again(r) || net.now() >= deadline) break;
    }
    UserClientResult u;
    u.success = r.ok() || (success_after_reset && r.outcome == Outcome::reset);
    u.response = r.response;
    u.outcome = r.outcome;
    return u;
  });
}

bool before_reply(const ClientResult& r) {
  return (r.outcome == Outcome::refused || r.outcome == Outcome::reset) &&
         r.bytes_received == 0;
}
bool any_reset(const ClientResult& r) {
  return r.outcome == Outcome::refused || r.outcome == Outcome::reset;
}
bool never(const ClientResult&) { return false; }

ScenarioRun run(const std::string& scenario, ClientUnderTest& client, int declared) {
  RunOptions o;
  o.transport = TransportKind::sim;
  o.retries = declared;
  return run_scenario(corpus(scenario), client, o);
}

std::string violations(const ScenarioRun& r) {
  std::string out;
  for (const RuleResult* v : r.violations()) {
    out += std::string(to_string(v->rule)) + ": " + v->evidence + "\n";
  }
  return out;
}

Verdict verdict(const ScenarioRun& r, Rule rule) {
  const RuleResult* x = r.rule(rule);
  return x ? x->verdict : Verdict::not_applicable;
}

const std::vector<std::string> kRetryScenarios{"refused-then-serve", "reset-then-serve",
                                               "reset-mid-response-then-serve"};

TEST(RetryModel, EveryConnectionTheContractAllowsHasItsOwnModel) {
  const Scenario s = corpus("refused-then-serve");
  const Model none = derive_model(s, WindowModel::exact, TimeoutContract::total, 0);
  EXPECT_TRUE(none.later.empty());
  EXPECT_EQ(none.max_connections, 1);
  EXPECT_EQ(none.min_connections, 1);
  EXPECT_FALSE(none.allows_success());

  const Model two = derive_model(s, WindowModel::exact, TimeoutContract::total, 2);
  ASSERT_EQ(two.later.size(), 2u);
  // Connection 2 serves: a retrying client must succeed with its reply.
  EXPECT_EQ(two.connection(2)->allowed, std::vector<Outcome>{Outcome::closed});
  EXPECT_EQ(two.connection(2)->response, "pong\n");
  EXPECT_EQ(two.connection(4), nullptr);
  // `expect connections 2`, capped by the contract of 2 retries.
  EXPECT_EQ(two.min_connections, 2);
  EXPECT_EQ(two.max_connections, 2);
}

TEST(RetryModel, ARefusalThatLoopbackMustRenderAsAnRstAllowsAReset) {
  const Model m = derive_model(corpus("refused-then-serve"));
  EXPECT_TRUE(m.allows(Outcome::refused));
  EXPECT_TRUE(m.allows(Outcome::reset));
  // When every connection is refused, the kernel refuses them: no reset.
  EXPECT_FALSE(derive_model(corpus("refused")).allows(Outcome::reset));
}

TEST(RetryModel, ALaterConnectionHasOnlyWhatIsLeftOfATotalTimeout) {
  // Connection 1 resets after 1.5 s of a 2 s timeout; connection 2 takes
  // 1 s more: a retrying client with a total timeout cannot finish it.
  ParseResult p = parse_scenario(
      "scenario t\ntimeout 2s\nconnection 1\n  sleep 1500ms\n  reset\n"
      "connection 2+\n  read until-fin\n  sleep 1s\n  write \"x\"\n  close\n",
      "<test>");
  ASSERT_TRUE(p.ok());
  const Model m = derive_model(*p.scenario, WindowModel::exact, TimeoutContract::total, 1);
  ASSERT_EQ(m.later.size(), 1u);
  EXPECT_TRUE(m.later[0].allows(Outcome::timed_out));
  // Its orderly close comes after the timeout: a success there is late.
  EXPECT_FALSE(m.later[0].late_success.empty());
  // The same connection begun at the start would be in time.
  EXPECT_TRUE(derive_connection_model(*p.scenario, 2, WindowModel::exact,
                                      TimeoutContract::total)
                  .late_success.empty());
}

TEST(RetryingClients, BothCorrectDesignsPassEveryRetryScenario) {
  for (const std::string& name : kRetryScenarios) {
    for (int retries : {0, 1, 3}) {
      auto client = reference_client(retries);
      const ScenarioRun r = run(name, *client, retries);
      EXPECT_TRUE(r.passed()) << name << " retries " << retries << "\n" << violations(r);
    }
  }
}

TEST(RetryingClients, ARetryingClientReachesConnectionTwo) {
  auto client = reference_client(1);
  const ScenarioRun r = run("reset-then-serve", *client, 1);
  EXPECT_EQ(r.client.attempts.size(), 2u);
  EXPECT_EQ(r.client.outcome, Outcome::closed);
  EXPECT_EQ(r.client.response, "HTTP/1.0 200 OK\r\n\r\nhello\n");
}

TEST(RetryingClients, ADeclaredRetryThatDoesNotHappenIsHonestOutcome) {
  // Declared with one retry, but it never retries: `expect connections 2`.
  auto client = retrying("no-retry", never, 1);
  const ScenarioRun r = run("refused-then-serve", *client, 1);
  EXPECT_EQ(verdict(r, Rule::honest_outcome), Verdict::violates) << violations(r);
  // Declared honestly as never retrying, the same client passes.
  EXPECT_TRUE(run("refused-then-serve", *client, 0).passed());
}

TEST(RetryingClients, AnUndeclaredRetryIsBounded) {
  auto client = reference_client(1);
  const ScenarioRun r = run("refused-then-serve", *client, 0);
  const RuleResult* b = r.rule(Rule::bounded);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->verdict, Verdict::violates);
  EXPECT_NE(b->evidence.find("--client-retries"), std::string::npos) << b->evidence;
}

TEST(RetryingClients, ARetryAfterReplyBytesIsHonestOutcome) {
  auto client = retrying("retry-after-reply", any_reset, 2);
  const ScenarioRun r = run("reset-mid-response-then-serve", *client, 1);
  const RuleResult* h = r.rule(Rule::honest_outcome);
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->verdict, Verdict::violates) << violations(r);
  EXPECT_NE(h->evidence.find("reply bytes on connection 1"), std::string::npos) << h->evidence;
}

TEST(RetryingClients, RetryingForEverIsBounded) {
  auto client = retrying("retry-forever", before_reply, 1000);
  for (const char* name : {"refused", "reset-before-read"}) {
    const ScenarioRun r = run(name, *client, 3);
    EXPECT_EQ(verdict(r, Rule::bounded), Verdict::violates) << name << "\n" << violations(r);
  }
  // Where connection 2 serves, it stops there and passes.
  EXPECT_TRUE(run("refused-then-serve", *client, 3).passed());
}

TEST(RetryingClients, SuccessFromConnectionOneAfterAResetIsHonestOutcome) {
  auto client = retrying("success-after-reset", never, 1, /*success_after_reset=*/true);
  for (int declared : {0, 1}) {
    const ScenarioRun r = run("reset-then-serve", *client, declared);
    EXPECT_EQ(verdict(r, Rule::honest_outcome), Verdict::violates)
        << declared << "\n" << violations(r);
  }
}

TEST(RetryingClients, EachConnectionIsJudgedByItsOwnScript) {
  // Connection 2 waits for the client's FIN; a client that never
  // half-closes there, and closes only when it gives up at its timeout, is
  // flagged on half-close, naming connection 2.
  auto client = function_client("no-fin", [](Transport& net, const Endpoint& to,
                                             std::string_view request, Duration timeout) {
    const TimePoint deadline = net.now() + timeout;
    UserClientResult u;
    for (int n = 1; n <= 2; ++n) {
      ConnectResult c = net.connect(to, deadline);
      if (!c.connection) continue;
      (void)c.connection->send(as_bytes(request));
      while (net.now() < deadline) (void)c.connection->wait(true, false, deadline);
      (void)c.connection->close();
    }
    return u;
  });
  const ScenarioRun r = run("refused-then-serve", *client, 1);
  const RuleResult* hc = r.rule(Rule::half_close);
  ASSERT_NE(hc, nullptr);
  EXPECT_EQ(hc->verdict, Verdict::violates) << violations(r);
  EXPECT_EQ(hc->evidence.rfind("connection 2: ", 0), 0u) << hc->evidence;
}

}  // namespace
}  // namespace sockcheck
