#include "core/key_ring.hpp"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <optional>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "core/base64.hpp"

namespace awf::core {

namespace {

constexpr std::string_view magic = "AWE1";
constexpr std::size_t key_size = 32;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t max_id_size = 32;

/// EVP takes int lengths; larger inputs go through in pieces of this size.
constexpr std::size_t max_chunk = std::size_t{1} << 30;

/// A key with its usage counter. Immutable but for the counter, so open and
/// seal need no lock.
struct key_entry {
  std::string id;
  std::string bytes;
  std::atomic<std::uint64_t> encryptions{0};
  /// Seals numbered below this are covered by a durable reservation.
  std::atomic<std::uint64_t> reserved{UINT64_MAX};

  ~key_entry() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

/// The parts of an envelope, viewing into it.
struct envelope_view {
  std::string_view header; ///< magic, id length and id: authenticated
  std::string_view id;
  std::string_view nonce;
  std::string_view ciphertext;
  std::string_view tag;
};

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > max_id_size)
    return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok)
      return false;
  }
  return true;
}

std::optional<envelope_view> split_envelope(std::string_view envelope) {
  if (envelope.size() < magic.size() + 1 ||
      envelope.substr(0, magic.size()) != magic)
    return std::nullopt;
  auto id_size = static_cast<unsigned char>(envelope[magic.size()]);
  auto header_size = magic.size() + 1 + id_size;
  if (envelope.size() < header_size + nonce_size + tag_size)
    return std::nullopt;
  envelope_view parts;
  parts.header = envelope.substr(0, header_size);
  parts.id = envelope.substr(magic.size() + 1, id_size);
  if (!valid_id(parts.id))
    return std::nullopt;
  parts.nonce = envelope.substr(header_size, nonce_size);
  auto body = envelope.substr(header_size + nonce_size);
  parts.ciphertext = body.substr(0, body.size() - tag_size);
  parts.tag = body.substr(body.size() - tag_size);
  return parts;
}

/// Fills `out` from the CSPRNG. A failure means no safe nonce or key can be
/// made at all, and no caller could recover, so it ends the process.
void random_fill(char* out, std::size_t size) {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out),
                 static_cast<int>(size)) != 1)
    std::abort();
}

/// Fetches the cipher once: implicit fetches on every init cost a lookup.
/// Never freed, since OpenSSL may already be torn down at static destruction.
const EVP_CIPHER* aes_256_gcm() {
  static const EVP_CIPHER* cipher = [] {
    const EVP_CIPHER* fetched =
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    return fetched ? fetched : EVP_aes_256_gcm();
  }();
  return cipher;
}

struct cipher_ctx_deleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept {
    EVP_CIPHER_CTX_free(ctx);
  }
};

using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter>;

auto as_bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

/// Feeds authenticated-only data into a GCM context.
bool add_aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
  for (std::size_t at = 0; at < aad.size(); at += max_chunk) {
    auto chunk = aad.substr(at, max_chunk);
    int written = 0;
    if (EVP_CipherUpdate(ctx, nullptr, &written, as_bytes(chunk),
                         static_cast<int>(chunk.size())) != 1)
      return false;
  }
  return true;
}

/// Runs `in` through the cipher into `out` (same length: GCM is a stream).
bool transform(EVP_CIPHER_CTX* ctx, std::string_view in, char* out) {
  for (std::size_t at = 0; at < in.size(); at += max_chunk) {
    auto chunk = in.substr(at, max_chunk);
    int written = 0;
    if (EVP_CipherUpdate(ctx, reinterpret_cast<unsigned char*>(out + at),
                         &written, as_bytes(chunk),
                         static_cast<int>(chunk.size())) != 1 ||
        static_cast<std::size_t>(written) != chunk.size())
      return false;
  }
  return true;
}

/// Starts an AES-256-GCM context for one message. The envelope header is
/// authenticated along with the caller's data, so the key id cannot be
/// swapped without failing the tag.
cipher_ctx start_cipher(bool encrypt, const key_entry& key,
                        std::string_view nonce, std::string_view header,
                        std::string_view associated_data) {
  cipher_ctx ctx{EVP_CIPHER_CTX_new()};
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), aes_256_gcm(), nullptr, as_bytes(key.bytes),
                        as_bytes(nonce), encrypt ? 1 : 0) != 1 ||
      !add_aad(ctx.get(), header) || !add_aad(ctx.get(), associated_data))
    return nullptr;
  return ctx;
}

core::error invalid_key(std::string message) {
  return {errc::invalid_key, std::move(message)};
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view blanks = " \t\r\n";
  auto first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos)
    return {};
  auto last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

/// Parses one `kid:base64key` entry. Messages name the entry by position and
/// only ever echo an id that passed validation: a malformed entry may well be
/// key material in the wrong place.
result<named_key> parse_entry(std::string_view entry, std::size_t position) {
  auto where = "CLOUD_SYNC_ENC_KEYS entry " + std::to_string(position);
  entry = trim(entry);
  if (entry.empty())
    return invalid_key(where + " is empty");
  auto colon = entry.find(':');
  if (colon == std::string_view::npos)
    return invalid_key(where + " has no ':' between key id and key");
  auto id = trim(entry.substr(0, colon));
  if (!valid_id(id))
    return invalid_key(where + " has a key id outside [A-Za-z0-9._-]{1,32}");
  where += " (key id \"" + std::string{id} + "\")";
  auto bytes = base64_decode(trim(entry.substr(colon + 1)));
  if (!bytes)
    return invalid_key(where + " is not valid base64");
  if (bytes->size() != key_size) {
    auto size = bytes->size();
    OPENSSL_cleanse(bytes->data(), bytes->size());
    return invalid_key(where + " decodes to " + std::to_string(size) +
                       " bytes instead of 32");
  }
  return named_key{std::string{id}, std::move(*bytes)};
}

} // namespace

struct key_ring::impl {
  /// The first key encrypts. Entries are boxed because atomics do not move.
  std::vector<std::unique_ptr<key_entry>> keys;
  std::uint64_t limit = 0;
  /// Guards `reserver` and `block`, and serializes reservations.
  std::mutex reserve_mutex;
  nonce_reserver reserver;
  std::uint64_t block = 0;

  /// Makes sure seal number `n` (0-based) of `key` is covered by a durable
  /// reservation, reserving the next block if it is not.
  bool cover(key_entry& key, std::uint64_t n) {
    if (n < key.reserved.load(std::memory_order_acquire))
      return true;
    std::lock_guard<std::mutex> guard{reserve_mutex};
    // The durable total covers every seal numbered below `reserved`; each
    // block added to it moves that bound by `block`.
    auto reserved = key.reserved.load(std::memory_order_acquire);
    while (n >= reserved) {
      // Never past the key's limit: those nonces can never be used.
      auto step = std::min(block, limit - reserved);
      if (!reserver || !reserver(key.id, step))
        return false;
      reserved += step;
      key.reserved.store(reserved, std::memory_order_release);
    }
    return true;
  }

  key_entry* find(std::string_view id) const {
    for (auto& key : keys)
      if (key->id == id)
        return key.get();
    return nullptr;
  }
};

key_ring::key_ring(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {}

key_ring::key_ring(key_ring&&) noexcept = default;

key_ring& key_ring::operator=(key_ring&&) noexcept = default;

key_ring::~key_ring() = default;

result<key_ring> key_ring::make(std::vector<named_key> keys,
                                std::uint64_t encryption_limit) {
  if (keys.empty())
    return invalid_key("the key ring needs at least one key");
  auto ring = std::make_unique<impl>();
  ring->limit = encryption_limit;
  // Take every key over first, so the entry destructors wipe all the bytes
  // whichever check fails.
  for (auto& key : keys) {
    auto entry = std::make_unique<key_entry>();
    entry->id = std::move(key.id);
    entry->bytes = std::move(key.bytes);
    ring->keys.push_back(std::move(entry));
  }
  for (const auto& boxed : ring->keys) {
    const auto& entry = *boxed;
    if (!valid_id(entry.id))
      return invalid_key("a key id is outside [A-Za-z0-9._-]{1,32}");
    if (ring->find(entry.id) != &entry)
      return invalid_key("key id \"" + entry.id + "\" appears twice");
    if (entry.bytes.size() != key_size)
      return invalid_key("key \"" + entry.id + "\" is " +
                         std::to_string(entry.bytes.size()) +
                         " bytes instead of 32");
  }
  return key_ring{std::move(ring)};
}

result<key_ring> key_ring::parse(std::string_view spec,
                                 std::uint64_t encryption_limit) {
  if (trim(spec).empty())
    return invalid_key("CLOUD_SYNC_ENC_KEYS is empty");
  std::vector<named_key> keys;
  std::size_t position = 1;
  for (std::size_t start = 0;; ++position) {
    auto comma = spec.find(',', start);
    auto entry = spec.substr(start, comma == std::string_view::npos
                                      ? std::string_view::npos
                                      : comma - start);
    auto key = parse_entry(entry, position);
    if (!key) {
      for (auto& parsed : keys)
        OPENSSL_cleanse(parsed.bytes.data(), parsed.bytes.size());
      return key.error();
    }
    keys.push_back(std::move(*key));
    if (comma == std::string_view::npos)
      break;
    start = comma + 1;
  }
  return make(std::move(keys), encryption_limit);
}

std::string key_ring::random_key() {
  std::string key(key_size, '\0');
  random_fill(key.data(), key.size());
  return key;
}

result<std::string> key_ring::seal(std::string_view plaintext,
                                   std::string_view associated_data) {
  auto& key = *impl_->keys.front();
  // Claim a slot before encrypting so concurrent seals never overshoot.
  auto used = key.encryptions.load(std::memory_order_relaxed);
  do {
    if (used >= impl_->limit)
      return core::error{errc::key_exhausted,
                         "key \"" + key.id +
                           "\" reached its encryption limit; rotate keys"};
  } while (!key.encryptions.compare_exchange_weak(used, used + 1,
                                                  std::memory_order_relaxed));
  // The slot stays spent if this fails: counting too many is safe.
  if (!impl_->cover(key, used))
    return core::error{errc::io_failure,
                       "cannot record the nonce use of key \"" + key.id +
                         "\"; nothing was encrypted"};
  std::string out;
  out.reserve(magic.size() + 1 + key.id.size() + nonce_size + plaintext.size() +
              tag_size);
  out += magic;
  out += static_cast<char>(key.id.size());
  out += key.id;
  auto header_size = out.size();
  out.resize(header_size + nonce_size + plaintext.size() + tag_size);
  auto nonce = out.data() + header_size;
  random_fill(nonce, nonce_size);
  auto body = nonce + nonce_size;
  auto tag = body + plaintext.size();
  auto ctx =
    start_cipher(true, key, {nonce, nonce_size},
                 std::string_view{out}.substr(0, header_size), associated_data);
  // Only an allocation failure gets here; no errc fits it better.
  int final_size = 0;
  if (!ctx || !transform(ctx.get(), plaintext, body) ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &final_size) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, tag_size, tag) != 1)
    return core::error{errc::authentication_failed,
                       "AES-GCM encryption failed"};
  return out;
}

result<std::string> key_ring::open(std::string_view envelope,
                                   std::string_view associated_data) const {
  auto parts = split_envelope(envelope);
  if (!parts)
    return core::error{errc::corrupt_data, "malformed encryption envelope"};
  auto key = impl_->find(parts->id);
  if (!key)
    return core::error{errc::unknown_key, "envelope names key \"" +
                                            std::string{parts->id} +
                                            "\", which the ring lacks"};
  std::string plaintext(parts->ciphertext.size(), '\0');
  auto ctx =
    start_cipher(false, *key, parts->nonce, parts->header, associated_data);
  // EVP wants a mutable tag buffer even though it only reads it.
  unsigned char tag[tag_size];
  std::copy(parts->tag.begin(), parts->tag.end(), tag);
  int final_size = 0;
  if (!ctx || !transform(ctx.get(), parts->ciphertext, plaintext.data()) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, tag_size, tag) !=
        1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &final_size) != 1)
    return core::error{errc::authentication_failed,
                       "envelope failed authentication (tampered bytes, wrong "
                       "key or wrong associated data)"};
  return plaintext;
}

std::string key_ring::envelope_key_id(std::string_view envelope) {
  auto parts = split_envelope(envelope);
  return parts ? std::string{parts->id} : std::string{};
}

const std::string& key_ring::active_key_id() const {
  return impl_->keys.front()->id;
}

std::uint64_t key_ring::encryptions(std::string_view key_id) const {
  auto key = impl_->find(key_id);
  return key ? key->encryptions.load(std::memory_order_relaxed) : 0;
}

void key_ring::record_prior_use(std::string_view key_id, std::uint64_t count) {
  auto key = impl_->find(key_id);
  if (!key)
    return;
  // Saturate rather than wrap: a wrapped counter would reopen a spent key.
  auto used = key->encryptions.load(std::memory_order_relaxed);
  std::uint64_t next = 0;
  do {
    next = used > UINT64_MAX - count ? UINT64_MAX : used + count;
  } while (!key->encryptions.compare_exchange_weak(used, next,
                                                   std::memory_order_relaxed));
}

void key_ring::reserve_nonces_with(nonce_reserver reserve,
                                   std::uint64_t block) {
  std::lock_guard<std::mutex> guard{impl_->reserve_mutex};
  impl_->reserver = std::move(reserve);
  impl_->block = std::max<std::uint64_t>(1, block);
  // Nothing is reserved in this run yet: the next seal of every key
  // reserves first.
  for (auto& key : impl_->keys)
    key->reserved.store(key->encryptions.load(std::memory_order_relaxed),
                        std::memory_order_release);
}

} // namespace awf::core
