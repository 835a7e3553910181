#include "net/outgoing_frames.hpp"

namespace awf::net {

outgoing_frames::outgoing_frames()
  : counter_(std::make_shared<std::atomic<std::size_t>>(0)) {}

shared_frame outgoing_frames::make(std::string text) {
  auto size = text.size();
  auto* frame = new std::string(std::move(text));
  *counter_ += size;
  // The deleter gives the bytes back when the last queue drops the frame.
  return shared_frame{frame, [counter = counter_, size](const std::string* f) {
                        *counter -= size;
                        delete f;
                      }};
}

} // namespace awf::net
