#include "persistence/nonce_reservations.hpp"

#include "persistence/detail/session.hpp"

namespace awf::persistence {

nonce_reservations::nonce_reservations(std::unique_ptr<database> db)
  : db_(std::move(db)) {}

nonce_reservations::~nonce_reservations() = default;

stored<std::uint64_t> nonce_reservations::reserve(const std::string& key_id,
                                                  std::uint64_t count) {
  std::lock_guard<std::mutex> guard{mutex_};
  return detail::guarded("reserve nonces", [&]() -> stored<std::uint64_t> {
    auto& s = detail::session_of(*db_);
    auto added = static_cast<long long>(count);
    long long total = 0;
    soci::transaction tx{s};
    s << "INSERT INTO awf_key_usage (key_id, encryptions, reserved) VALUES "
         "(:k, 0, :n) ON CONFLICT (key_id) DO UPDATE SET reserved = (CASE "
         "WHEN awf_key_usage.reserved > awf_key_usage.encryptions THEN "
         "awf_key_usage.reserved ELSE awf_key_usage.encryptions END) + "
         "excluded.reserved",
      soci::use(key_id), soci::use(added);
    s << "SELECT reserved FROM awf_key_usage WHERE key_id = :k",
      soci::use(key_id), soci::into(total);
    tx.commit();
    return static_cast<std::uint64_t>(total);
  });
}

} // namespace awf::persistence
