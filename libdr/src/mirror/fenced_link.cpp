#include "mirror/fenced_link.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

namespace dr::mirror {

namespace {

std::set<std::string> brokers(const std::string& list) {
  std::set<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string b = list.substr(start, comma - start);
    if (auto scheme = b.find("://"); scheme != std::string::npos) b.erase(0, scheme + 3);
    b.erase(std::remove_if(b.begin(), b.end(), [](unsigned char c) { return std::isspace(c); }), b.end());
    std::transform(b.begin(), b.end(), b.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!b.empty()) out.insert(b);
    start = comma + 1;
  }
  return out;
}

}  // namespace

bool same_brokers(const std::string& a, const std::string& b) {
  const auto x = brokers(a), y = brokers(b);
  return std::any_of(x.begin(), x.end(), [&](const std::string& s) { return y.count(s) > 0; });
}

std::optional<store::Link> fenced_link_for(store::StateStore& store, const LinkEnd& source, const LinkEnd& target) {
  const auto clusters = store::list_clusters(store);
  auto matching = [&](const LinkEnd& end) {
    std::set<std::string> ids;
    for (const auto& c : clusters) {
      if (end.alias.empty() ? same_brokers(c.bootstrap_servers, end.bootstrap_servers) : c.alias == end.alias) {
        ids.insert(c.cluster_id);
      }
    }
    return ids;
  };
  const auto sources = matching(source), targets = matching(target);
  std::optional<store::Link> fenced;
  for (const auto& link : store::list_links(store)) {
    if (!sources.count(link.source_cluster_id) || !targets.count(link.target_cluster_id)) continue;
    if (link.state == store::LinkState::active) return std::nullopt;
    if (!fenced) fenced = link;
  }
  return fenced;
}

}  // namespace dr::mirror
