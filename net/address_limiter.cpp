#include "net/address_limiter.hpp"

#include <utility>

namespace awf::net {

namespace {

boost::asio::ip::address normalized(boost::asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                            address.to_v6());
  return address;
}

} // namespace

address_lease::address_lease(std::shared_ptr<detail::address_table> table,
                             boost::asio::ip::address address)
  : table_(std::move(table)), address_(address) {}

address_lease::address_lease(address_lease&& other) noexcept
  : table_(std::move(other.table_)), address_(other.address_) {}

address_lease& address_lease::operator=(address_lease&& other) noexcept {
  if (this != &other) {
    release();
    table_ = std::move(other.table_);
    address_ = other.address_;
  }
  return *this;
}

address_lease::~address_lease() {
  release();
}

void address_lease::release() noexcept {
  if (!table_)
    return;
  {
    std::lock_guard<std::mutex> guard{table_->mutex};
    auto it = table_->open.find(address_);
    if (it != table_->open.end() && --it->second == 0)
      table_->open.erase(it);
  }
  table_.reset();
}

address_limiter::address_limiter(std::size_t per_address)
  : per_address_(per_address),
    table_(std::make_shared<detail::address_table>()) {}

std::optional<address_lease>
address_limiter::try_acquire(boost::asio::ip::address address) {
  if (per_address_ == 0)
    return address_lease{};
  address = normalized(address);
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto& count = table_->open[address];
  if (count >= per_address_)
    return std::nullopt; // count > 0 here: the entry stays for its leases
  ++count;
  return address_lease{table_, address};
}

std::size_t address_limiter::open(boost::asio::ip::address address) const {
  address = normalized(address);
  std::lock_guard<std::mutex> guard{table_->mutex};
  auto it = table_->open.find(address);
  return it == table_->open.end() ? 0 : it->second;
}

} // namespace awf::net
