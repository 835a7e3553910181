#define CAF_SUITE outgoing_frames

#include "net/outgoing_frames.hpp"

#include "caf/test/unit_test.hpp"

#include <deque>
#include <vector>

#include "net/subscription_hub.hpp"
#include "net/wire_json.hpp"

using namespace awf;
using namespace awf::net;

CAF_TEST(a frame held by many queues is counted once) {
  outgoing_frames frames;
  CAF_CHECK_EQUAL(frames.bytes(), 0u);
  auto frame = frames.make(std::string(1000, 'x'));
  CAF_CHECK_EQUAL(frames.bytes(), 1000u);
  // Forty subscribers' queues hold the same bytes, not forty copies.
  std::vector<std::deque<shared_frame>> queues(40);
  for (auto& q : queues)
    q.push_back(frame);
  CAF_CHECK_EQUAL(frames.bytes(), 1000u);
  for (const auto& q : queues)
    CAF_CHECK_EQUAL(q.front().get(), frame.get());
  frame.reset();
  queues.resize(1);
  CAF_CHECK_EQUAL(frames.bytes(), 1000u); // one queue still holds it
  queues.front().pop_front();
  CAF_CHECK_EQUAL(frames.bytes(), 0u); // the last holder let it go
}

CAF_TEST(frames of different messages add up) {
  outgoing_frames frames;
  auto a = frames.make("abc");
  auto b = frames.make(std::string(10, 'y'));
  CAF_CHECK_EQUAL(frames.bytes(), 13u);
  a.reset();
  CAF_CHECK_EQUAL(frames.bytes(), 10u);
  CAF_CHECK_EQUAL(*b, std::string(10, 'y'));
}

CAF_TEST(a frame outliving its counter object is still given back safely) {
  shared_frame kept;
  {
    outgoing_frames frames;
    kept = frames.make("late");
  }
  CAF_CHECK_EQUAL(*kept, "late");
  kept.reset(); // no use of the destroyed object
}

CAF_TEST(a push event carries one rendered frame and its turns chain hashes) {
  outgoing_frames frames;
  std::vector<actors::sync_turn> turns{
    {2, true, R"({"a":1,"s":"q\"\\"})", "s2", "c2"},
    {3, false, R"([{"op":"remove","path":"/a"}])", "s3", "c3"}};
  auto event = make_push_event(frames, "s1", core::chain_head{1, "c1"},
                               core::chain_head{3, "c3"}, turns);
  CAF_REQUIRE(event->frame);
  CAF_CHECK_EQUAL(frames.bytes(), event->frame->size());
  CAF_CHECK_EQUAL(event->turn_chains, (std::vector<std::string>{"c2", "c3"}));
  auto msg = nlohmann::json::parse(*event->frame);
  CAF_CHECK_EQUAL(msg["type"], "turns");
  CAF_CHECK_EQUAL(msg["save_id"], "s1");
  CAF_CHECK_EQUAL(msg["head"]["turn_id"], 3);
  CAF_CHECK_EQUAL(msg["head"]["chain_hash"], "c3");
  // The same message as the turns' JSON values would render.
  CAF_CHECK_EQUAL(msg["turns"], nlohmann::json::array(
                                  {turn_json(turns[0]), turn_json(turns[1])}));
  CAF_CHECK_EQUAL(msg["turns"][0]["state"]["s"], "q\"\\");
  CAF_CHECK_EQUAL(msg.dump(), *event->frame);
}
