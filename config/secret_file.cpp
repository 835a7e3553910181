#include "config/secret_file.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base64.hpp"
#include "core/key_ring.hpp"

namespace awf::config {

namespace {

core::error io_error(const std::filesystem::path& path, const char* what) {
  return {core::errc::io_failure, std::string{"cannot "} + what + " " +
                                    path.string() + ": " +
                                    std::strerror(errno)};
}

std::string without_line_ending(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  return text;
}

core::result<std::string> write_new(const std::filesystem::path& path,
                                    const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return io_error(path, "create");
  auto written = ::write(fd, content.data(), content.size());
  bool ok = written == static_cast<ssize_t>(content.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return io_error(path, "write");
  // Return exactly what a later read returns.
  return without_line_ending(content);
}

} // namespace

core::result<std::string>
load_or_create_secret(const std::filesystem::path& path,
                      const std::function<std::string()>& generate) {
  std::error_code ec;
  if (path.has_parent_path())
    std::filesystem::create_directories(path.parent_path(), ec);
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    auto created = write_new(path, generate());
    // Another process may have won the race to create it: read theirs.
    if (created || errno != EEXIST)
      return created;
    if (::stat(path.c_str(), &info) != 0)
      return io_error(path, "read");
  }
  if ((info.st_mode & 077) != 0)
    return core::error{core::errc::io_failure,
                       path.string() +
                         " is readable by others: chmod 600 it first"};
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return io_error(path, "read");
  std::ostringstream content;
  content << in.rdbuf();
  auto text = without_line_ending(content.str());
  if (text.empty())
    return core::error{core::errc::io_failure,
                       path.string() +
                         " is empty: delete it to make a new one"};
  return text;
}

core::result<std::string> blob_key_spec(const std::string& enc_keys,
                                        const std::string& data_dir) {
  if (!enc_keys.empty())
    return enc_keys;
  return load_or_create_secret(
    std::filesystem::path{data_dir} / "enc_keys", [] {
      return "local1:" + core::base64_encode(core::key_ring::random_key());
    });
}

} // namespace awf::config
