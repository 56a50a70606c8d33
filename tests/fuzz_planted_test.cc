// Proof that the receive-path check catches real defects: for each planted
// faulty client (fuzz/planted/) a hand-made input on which
// check_receive_path() aborts, naming the invariant that caught it, while the
// reference client and the planted copy with no defect pass the same input.
//
// The inputs are written in the reference client's call order; a faulty
// client may call in another order and so read the bytes differently, which
// is fine: the input only has to make it show its defect. fuzz/
// prove_planted.sh shows that libFuzzer finds the same defects on its own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "planted/planted_clients.h"
#include "sockcheck/fuzz_script.h"
#include "sockcheck/receive_path.h"
#include "sockcheck/receive_path_seeds.h"

namespace sockcheck {
namespace {

using planted::Defect;
using std::chrono::milliseconds;

constexpr std::string_view kReply = "HTTP/1.0 200 OK\r\n\r\nhello";

struct PlantedCase {
  Defect defect;
  std::string invariant;  // the name printed by SOCKCHECK_FUZZ_ASSERT
  FuzzScript script;
  // False when the script goes on past the reference client's end, for a
  // faulty client that does not stop there.
  bool reference_reads_all = true;
};

void PrintTo(const PlantedCase& c, std::ostream* os) {
  *os << planted::name_of(c.defect);
}

std::vector<PlantedCase> cases() {
  std::vector<PlantedCase> out;
  out.push_back({Defect::off_by_one_buffer, "response-delivered",
                 FuzzScript::receive_path(8, 8)
                     .send_all()
                     .shutdown_ok()
                     .recv_fill("HTTP/1.0")
                     .recv_eof()
                     .close_ok()});
  out.push_back({Defect::eintr_fatal, "honest-outcome",
                 FuzzScript::receive_path(64, 8)
                     .send_all()
                     .shutdown_ok()
                     .recv_eintr()
                     .recv_data(kReply)
                     .recv_eof()
                     .close_ok()});
  out.push_back({Defect::short_read_ends_response, "honest-outcome",
                 FuzzScript::receive_path(64, 8)
                     .send_all()
                     .shutdown_ok()
                     .recv_data("HTTP/1.0 ")
                     .recv_data("200 OK\r\n\r\n")
                     .recv_eof()
                     .close_ok()});
  out.push_back({Defect::reset_as_eof, "honest-outcome",
                 FuzzScript::receive_path(64, 8)
                     .send_all()
                     .shutdown_ok()
                     .recv_data("HTTP/1.0 200")
                     .recv_reset()
                     .close_ok()});
  out.push_back({Defect::close_retried_on_eintr, "closes-once",
                 FuzzScript::receive_path(64, 8)
                     .send_all()
                     .shutdown_ok()
                     .recv_data(kReply)
                     .recv_eof()
                     .close_error(std::errc::interrupted)});
  out.push_back({Defect::half_close_on_eagain, "half-close",
                 FuzzScript::receive_path(64, 100)
                     .send_partial(10, 100)
                     .recv_eagain()
                     .send_eagain()
                     .wait_writable()
                     .send_all()
                     .shutdown_ok()
                     .wait_readable()
                     .recv_data(kReply)
                     .recv_eof()
                     .close_ok()});
  out.push_back({Defect::short_send_not_continued, "request-delivered",
                 FuzzScript::receive_path(64, 100)
                     .send_partial(10, 100)
                     .recv_eagain()
                     .send_all()
                     .shutdown_ok()
                     .wait_readable()
                     .recv_data(kReply)
                     .recv_eof()
                     .close_ok()});
  out.push_back({Defect::eagain_busy_loop, "bounded",
                 FuzzScript::receive_path(64, 8)
                     .send_all()
                     .shutdown_ok()
                     .recv_eagain()
                     .wait_readable(milliseconds(1))
                     .recv_data(kReply)
                     .recv_eof()
                     .close_ok()});
  out.push_back({Defect::deadline_ignored, "honest-outcome",
                 FuzzScript::receive_path(64, 8, milliseconds(100))
                     .send_all()
                     .shutdown_ok()
                     .recv_eagain()
                     .wait_timeout()
                     .close_ok()
                     .wait_readable()
                     .recv_data(kReply)
                     .recv_eof()
                     .close_ok(),
                 /*reference_reads_all=*/false});
  return out;
}

class PlantedDefectTest : public ::testing::TestWithParam<PlantedCase> {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
  const std::vector<std::uint8_t>& input() const {
    return GetParam().script.bytes();
  }
};

TEST_P(PlantedDefectTest, TheReferenceClientPasses) {
  const ReceivePathRun run = run_receive_path(input(), reference_exchange());
  if (GetParam().reference_reads_all) {
    EXPECT_EQ(run.record.input_consumed, input().size())
        << "the input is not in the reference client's call order\n"
        << describe(run);
  }
  EXPECT_EQ(check_receive_path(input().data(), input().size()), 0);
}

TEST_P(PlantedDefectTest, ThePlantedCopyWithoutTheDefectPasses) {
  EXPECT_EQ(check_receive_path(input().data(), input().size(),
                               planted::planted_client(Defect::none)),
            0);
}

TEST_P(PlantedDefectTest, TheDefectIsCaughtByItsInvariant) {
  const ExchangeClient faulty = planted::planted_client(GetParam().defect);
  EXPECT_DEATH(check_receive_path(input().data(), input().size(), faulty),
               "fuzz invariant violated: " + GetParam().invariant);
}

INSTANTIATE_TEST_SUITE_P(
    Planted, PlantedDefectTest, ::testing::ValuesIn(cases()),
    [](const ::testing::TestParamInfo<PlantedCase>& param_info) {
      std::string name;
      bool upper = true;
      for (const char c : planted::name_of(param_info.param.defect)) {
        if (c == '-') {
          upper = true;
        } else {
          name += upper ? static_cast<char>(c - 'a' + 'A') : c;
          upper = false;
        }
      }
      return name;
    });

TEST(PlantedCatalogueTest, EveryDefectHasACaseAndItsDocumentedInvariant) {
  const auto all = cases();
  ASSERT_EQ(all.size(), planted::defects().size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].defect, planted::defects()[i].defect);
    EXPECT_EQ(all[i].invariant, planted::defects()[i].invariant);
    EXPECT_EQ(planted::defect_by_name(planted::defects()[i].name),
              planted::defects()[i].defect);
  }
  EXPECT_GE(all.size(), 5U);
}

// The copy the defects are planted in is faithful: without a defect it ends
// every seed exactly as the reference client does.
TEST(PlantedCatalogueTest, TheCopyWithoutDefectMatchesTheReferenceOnEverySeed) {
  for (const auto& seed : receive_path_seeds()) {
    SCOPED_TRACE(seed.name);
    const ReceivePathRun ref = run_receive_path(seed.bytes, reference_exchange());
    const ReceivePathRun copy =
        run_receive_path(seed.bytes, planted::planted_client(Defect::none));
    EXPECT_EQ(copy.result.outcome, ref.result.outcome);
    EXPECT_EQ(copy.result.error, ref.result.error);
    EXPECT_EQ(copy.result.response, ref.result.response);
    EXPECT_EQ(copy.result.bytes_sent, ref.result.bytes_sent);
    EXPECT_EQ(copy.record.calls, ref.record.calls);
  }
}

}  // namespace
}  // namespace sockcheck
