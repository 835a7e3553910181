#include "persistence/detail/blob_writes.hpp"

#include "core/key_ring.hpp"

namespace awf::persistence::detail {

blob_writes::blob_writes(database& db)
  : db_(db), insert_blob_(session_of(db)), insert_ref_(session_of(db)),
    add_key_use_(session_of(db)) {
  auto& s = session_of(db);
  insert_blob_ =
    (s.prepare << "INSERT INTO awf_save_blobs (blob_hash, blob_type, bytes, "
                  "size, enc, codec, key_id, stored_size, created_at) VALUES "
                  "(:h, :t, " +
                    bytes_in(db, ":b") +
                    ", :s, 'aesgcm', :c, :k, :ss, :ca) ON CONFLICT "
                    "(blob_hash) DO NOTHING",
     soci::use(blob_hash_), soci::use(blob_type_), soci::use(blob_bytes_),
     soci::use(plain_size_), soci::use(codec_), soci::use(key_id_),
     soci::use(stored_size_), soci::use(created_at_));
  insert_ref_ = (s.prepare << "INSERT INTO awf_blob_refs (save_id, blob_hash) "
                              "VALUES (:s, :h) ON CONFLICT (save_id, "
                              "blob_hash) DO NOTHING",
                 soci::use(save_id_), soci::use(blob_hash_));
  add_key_use_ =
    (s.prepare << "INSERT INTO awf_key_usage (key_id, encryptions) VALUES "
                  "(:k, :n) ON CONFLICT (key_id) DO UPDATE SET encryptions = "
                  "awf_key_usage.encryptions + excluded.encryptions",
     soci::use(key_id_), soci::use(key_count_));
}

void blob_writes::store(const std::string& save_id,
                        const core::stored_blob& blob) {
  save_id_ = save_id;
  blob_hash_ = blob.hash;
  blob_type_ = blob.type;
  blob_bytes_ = bytes_to_parameter(db_, blob.bytes);
  plain_size_ = static_cast<long long>(blob.plain_size);
  stored_size_ = static_cast<long long>(blob.bytes.size());
  codec_ = blob.codec;
  key_id_ = core::key_ring::envelope_key_id(blob.bytes);
  created_at_ = now_ms_text(db_);
  insert_blob_.execute(true);
  insert_ref_.execute(true);
}

void blob_writes::note_key_use(key_use_counts& uses,
                               const core::stored_blob& blob) {
  ++uses[core::key_ring::envelope_key_id(blob.bytes)];
}

void blob_writes::count_key_use(const key_use_counts& uses) {
  for (const auto& [id, count] : uses) {
    key_id_ = id;
    key_count_ = count;
    add_key_use_.execute(true);
  }
}

} // namespace awf::persistence::detail
