// awfsync: the admin and debug CLI (contract §9). Every subcommand is a
// function from its arguments to the bytes it prints or an error; main()
// turns an error into one "awfsync: " line on stderr and exit code 2.

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "config/hmac_secret.hpp"
#include "config/settings.hpp"
#include "core/canonical_json.hpp"
#include "core/json_patch.hpp"
#include "core/result.hpp"
#include "core/sha256.hpp"
#include "core/user_token.hpp"

namespace {

using namespace awf;
using json = nlohmann::json;

/// What a subcommand prints on success.
using output = core::result<std::string>;

/// Exit code for invalid input of any kind (contract §9).
constexpr int exit_invalid_input = 2;

/// Exit code when the output cannot be written.
constexpr int exit_output_failed = 1;

/// Largest input document read, so a wrong file cannot exhaust memory.
constexpr std::size_t max_input_bytes = std::size_t{256} << 20;

/// Longest lifetime `token --ttl` grants: ten years, in seconds.
constexpr std::int64_t max_token_ttl_s = std::int64_t{10} * 365 * 86400;

/// Reads all of `path`, or stdin for "" and "-".
output read_input(const std::string& path) {
  bool from_stdin = path.empty() || path == "-";
  std::FILE* in = from_stdin ? stdin : std::fopen(path.c_str(), "rb");
  auto io_error = [] {
    return core::error{core::errc::io_failure,
                       std::string{"cannot read: "} + std::strerror(errno)};
  };
  if (in == nullptr)
    return io_error();
  std::string text;
  char buffer[65536];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, in)) > 0 &&
         text.size() <= max_input_bytes)
    text.append(buffer, got);
  bool failed = std::ferror(in) != 0;
  auto result = failed ? output{io_error()} : output{std::move(text)};
  if (!from_stdin)
    std::fclose(in);
  if (result && result->size() > max_input_bytes)
    return core::error{core::errc::payload_too_large, "larger than 256 MiB"};
  return result;
}

/// Reads and parses one I-JSON document; errors name the input.
core::result<json> read_json(const std::string& path) {
  auto name = path.empty() || path == "-" ? std::string{"stdin"} : path;
  auto text = read_input(path);
  if (!text)
    return core::error{text.error().code, name + ": " + text.error().message};
  auto value = core::parse_json(*text);
  if (!value)
    return core::error{value.error().code, name + ": " + value.error().message};
  return value;
}

output canon_command(const std::string& file) {
  auto value = read_json(file);
  if (!value)
    return value.error();
  return core::canonicalize(*value);
}

output hash_command(const std::string& file) {
  auto value = read_json(file);
  if (!value)
    return value.error();
  return core::sha256_hex(core::canonicalize(*value)) + "\n";
}

output diff_command(const std::string& old_file, const std::string& new_file) {
  auto from = read_json(old_file);
  if (!from)
    return from.error();
  auto to = read_json(new_file);
  if (!to)
    return to.error();
  return core::canonicalize(core::diff(*from, *to));
}

output patch_command(const std::string& doc_file,
                     const std::string& patch_file) {
  auto document = read_json(doc_file);
  if (!document)
    return document.error();
  auto patch = read_json(patch_file);
  if (!patch)
    return patch.error();
  auto patched = core::apply_patch(*document, *patch);
  if (!patched)
    return core::error{patched.error().code,
                       patch_file + ": " + patched.error().message};
  return core::canonicalize(*patched);
}

struct token_options {
  std::string user;
  std::string role = "user";
  std::int64_t ttl_s = 3600;
};

output token_command(const token_options& options) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  auto claims =
    core::check_claims({options.user, options.role, now + options.ttl_s});
  if (!claims)
    return core::error{core::errc::invalid_setting,
                       "--user: " + claims.error().message};
  auto settings = config::load_settings(config::process_environment());
  if (!settings)
    return settings.error();
  bool generated = false;
  auto secret = config::resolve_hmac_secret(*settings, &generated);
  if (!secret)
    return secret.error();
  // Not an error, but a token only a server with this data dir accepts.
  if (generated)
    std::fprintf(stderr,
                 "awfsync: note: signed with the generated secret in %s/"
                 "hmac_secret; set CLOUD_SYNC_HMAC_SECRET to match a server "
                 "elsewhere\n",
                 settings->data_dir.c_str());
  return core::mint_user_token(*secret, *claims) + "\n";
}

/// Prints `text` as the one stderr line contract §9 allows.
int fail(std::string text) {
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  std::fprintf(stderr, "awfsync: %s\n", text.c_str());
  return exit_invalid_input;
}

int fail(const core::error& err) {
  return fail(std::string{core::to_string(err.code)} + ": " + err.message);
}

/// Writes the result of a subcommand to stdout.
int finish(const output& result) {
  if (!result)
    return fail(result.error());
  if (std::fwrite(result->data(), 1, result->size(), stdout) !=
        result->size() ||
      std::fflush(stdout) != 0) {
    std::fprintf(stderr, "awfsync: cannot write output: %s\n",
                 std::strerror(errno));
    return exit_output_failed;
  }
  return 0;
}

/// The arguments of every subcommand; only the chosen one's are read.
struct arguments {
  std::string first;  ///< FILE, OLD or DOC
  std::string second; ///< NEW or PATCH
  token_options token;
  std::function<output()> run; ///< Set by the subcommand that was given.
};

/// Registers canon, hash, diff and patch.
void add_document_commands(CLI::App& app, arguments& args) {
  auto* canon = app.add_subcommand(
    "canon", "print the canonical bytes of a JSON document (no newline)");
  canon->add_option("FILE", args.first, "JSON file (default: stdin)");
  canon->callback(
    [&] { args.run = [&] { return canon_command(args.first); }; });

  auto* hash = app.add_subcommand(
    "hash", "print the state hash: sha256 hex of the canonical bytes");
  hash->add_option("FILE", args.first, "JSON file (default: stdin)");
  hash->callback([&] { args.run = [&] { return hash_command(args.first); }; });

  auto* diff = app.add_subcommand(
    "diff", "print a JSON Patch (canonical bytes) that turns OLD into NEW");
  diff->add_option("OLD", args.first, "JSON file")->required();
  diff->add_option("NEW", args.second, "JSON file")->required();
  diff->callback(
    [&] { args.run = [&] { return diff_command(args.first, args.second); }; });

  auto* patch = app.add_subcommand(
    "patch", "apply a JSON Patch to DOC; print the result's canonical bytes");
  patch->add_option("DOC", args.first, "JSON file")->required();
  patch->add_option("PATCH", args.second, "JSON Patch file (RFC 6902)")
    ->required();
  patch->callback(
    [&] { args.run = [&] { return patch_command(args.first, args.second); }; });
}

/// Registers token.
void add_token_command(CLI::App& app, arguments& args) {
  auto* token = app.add_subcommand(
    "token", "mint a user token with the configured secret "
             "(CLOUD_SYNC_HMAC_SECRET, else the one in the data directory)");
  token->add_option("--user", args.token.user, "user id hash (the token's sub)")
    ->required()
    ->type_name("HASH");
  token->add_option("--role", args.token.role, "user or admin (default: user)")
    ->check(CLI::IsMember({"user", "admin"}));
  token
    ->add_option("--ttl", args.token.ttl_s,
                 "lifetime in seconds (default: 3600)")
    ->check(CLI::Range(std::int64_t{1}, max_token_ttl_s))
    ->type_name("S");
  token->callback(
    [&] { args.run = [&] { return token_command(args.token); }; });
}

/// Turns a command-line error into the one line of contract §9. CLI11 calls
/// an unknown word at the top level an unexpected argument; say what it is.
int command_line_error(const CLI::App& app, const CLI::ParseError& e) {
  auto extra = app.remaining();
  if (app.get_subcommands().empty() && !extra.empty() &&
      !extra.front().starts_with("-"))
    return fail("unknown subcommand '" + extra.front() +
                "'; see awfsync --help");
  return fail(e.what());
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"awfsync: admin and debug CLI of awf-cloud-sync. Reads JSON "
               "under the save model's rules (I-JSON, RFC 8785); invalid "
               "input prints one line on stderr and exits with 2."};
  arguments args;
  add_document_commands(app, args);
  add_token_command(app, args);
  // Set after the subcommands so that their --help does not repeat it.
  app.footer("status, verify, export, stats and conflicts (against a running "
             "server) come with the server and are not in this build.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is a "parse error" with exit code 0; CLI11 prints it.
    if (e.get_exit_code() == 0)
      return app.exit(e);
    return command_line_error(app, e);
  }
  if (!args.run)
    return fail("a subcommand is required: canon, hash, diff, patch or token; "
                "see awfsync --help");
  return finish(args.run());
}
