#define CAF_SUITE seen_board

#include "actors/seen_board.hpp"

#include "caf/test/unit_test.hpp"

#include <thread>
#include <vector>

using namespace awf;

CAF_TEST(the first note of a batch asks for a flush and later turns win) {
  actors::seen_board board;
  CAF_CHECK(board.note("phone", 5));
  CAF_CHECK(!board.note("phone", 3));
  CAF_CHECK(!board.note("tablet", 2));
  CAF_CHECK_EQUAL(board.find("phone").value_or(-1), 5);
  CAF_CHECK(!board.find("console"));
  auto taken = board.take();
  CAF_REQUIRE_EQUAL(taken.size(), 2u);
  CAF_CHECK_EQUAL(taken["phone"], 5);
  CAF_CHECK_EQUAL(taken["tablet"], 2);
  CAF_CHECK(!board.find("phone"));
  CAF_CHECK(board.take().empty());
  // Empty again: the next note asks again.
  CAF_CHECK(board.note("phone", 6));
}

CAF_TEST(notes from many threads are all taken exactly once) {
  actors::seen_board board;
  std::vector<std::thread> writers;
  std::map<std::string, std::int64_t> taken;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([&board, w] {
      for (int turn = 1; turn <= 2000; ++turn)
        board.note("device-" + std::to_string(w), turn);
    });
  // Taking while they write loses nothing: the last turn of each device
  // ends up in one of the batches.
  for (int i = 0; i < 100; ++i)
    for (auto& [device, turn] : board.take())
      taken[device] = std::max(taken[device], turn);
  for (auto& t : writers)
    t.join();
  for (auto& [device, turn] : board.take())
    taken[device] = std::max(taken[device], turn);
  CAF_REQUIRE_EQUAL(taken.size(), 4u);
  for (const auto& [device, turn] : taken)
    CAF_CHECK_EQUAL(turn, 2000);
}
