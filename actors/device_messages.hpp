// The device directory's messages: a freshly issued token and the identity
// behind an authenticated one.
#pragma once

#include <cstdint>
#include <string>

#include <caf/meta/type_name.hpp>

#include "persistence/device_store.hpp"

namespace awf::actors {

/// A new sync token: shown to the device once, stored only as its hash.
struct device_grant {
  std::string device_id;
  std::string sync_token;
  std::int64_t expires_at_ms = 0;
};

/// Who a valid sync token belongs to.
struct device_identity {
  std::string device_id;
  std::string user_id_hash;
  std::int64_t expires_at_ms = 0; ///< when the sync token stops working
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, device_grant& x) {
  return f(caf::meta::type_name("device_grant"), x.device_id, x.sync_token,
           x.expires_at_ms);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, device_identity& x) {
  return f(caf::meta::type_name("device_identity"), x.device_id, x.user_id_hash,
           x.expires_at_ms);
}

} // namespace awf::actors

namespace awf::persistence {

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, device_record& x) {
  return f(caf::meta::type_name("device_record"), x.device_id, x.user_id_hash,
           x.label, x.token_hash, x.expires_at_ms, x.revoked, x.last_turn_seen,
           x.created_at_ms, x.updated_at_ms);
}

} // namespace awf::persistence
