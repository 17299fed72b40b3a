// The fault run's faults: a frozen worker (SIGSTOP, then SIGCONT), a killed worker restarted
// on the same address, a partition (nftables drop rules), random packet loss (an nftables
// random-drop rule) and overload (raised by the load driver, not here). Each worker runs in a
// network namespace of its own (run_faults.sh creates them, with an empty nftables table
// `inet nercc_fault` whose chains `input` and `output` this class fills and flushes).
#pragma once

#include "worker_pool.hpp"

#include <signal.h>

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace nercc_cluster {

/// Which faults a scenario injects, all at once for its fault window ("baseline": none).
struct FaultSet {
  bool freeze = false, kill = false, partition = false, loss = false, overload = false;

  static FaultSet named(const std::string& name) {
    FaultSet f;
    if (name == "baseline") return f;
    if (name == "freeze") f.freeze = true;
    else if (name == "kill") f.kill = true;
    else if (name == "partition") f.partition = true;
    else if (name == "loss") f.loss = true;
    else if (name == "overload") f.overload = true;
    else if (name == "all") f.freeze = f.kill = f.partition = f.loss = f.overload = true;
    else throw std::invalid_argument("--scenarios: unknown scenario \"" + name + "\"");
    return f;
  }
};

/// The workers each fault hits (distinct, so that "all" hits five of them).
struct FaultTargets {
  std::size_t frozen = 1, killed = 4, lossy = 5;
  std::vector<std::size_t> partitioned = {2, 3};
};

/// Injects and heals faults on the pool's workers. Not thread-safe: one thread at a time.
/// heal_all() (also run by the destructor) leaves no rule and no stopped worker behind.
class FaultInjector {
 public:
  FaultInjector(WorkerPool& pool, std::vector<std::string> netns, std::string ip_bin, int loss_percent,
                FaultTargets targets = {})
      : pool_(pool), netns_(std::move(netns)), ip_(std::move(ip_bin)), loss_percent_(loss_percent),
        targets_(std::move(targets)) {}
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;
  ~FaultInjector() {
    try {
      heal_all();
    } catch (...) {  // run_faults.sh deletes the namespaces with their rules anyway
    }
  }

  const FaultTargets& targets() const { return targets_; }

  void inject(const FaultSet& f) {
    if (f.freeze) pool_.signal(targets_.frozen, SIGSTOP);
    if (f.kill) pool_.kill_worker(targets_.killed);
    if (f.partition)
      for (auto w : targets_.partitioned) {
        nft(w, "add rule inet nercc_fault input iifname != lo drop");
        nft(w, "add rule inet nercc_fault output oifname != lo drop");
      }
    if (f.loss) {
      const std::string rule = "numgen random mod 100 '<' " + std::to_string(loss_percent_) + " drop";
      nft(targets_.lossy, "add rule inet nercc_fault input " + rule);
      nft(targets_.lossy, "add rule inet nercc_fault output " + rule);
    }
  }

  /// Ends the faults of `f`; a killed worker is restarted on its address and port, and this
  /// returns once it serves again.
  void heal(const FaultSet& f) {
    if (f.freeze) pool_.signal(targets_.frozen, SIGCONT);
    if (f.partition)
      for (auto w : targets_.partitioned) flush(w);
    if (f.loss) flush(targets_.lossy);
    if (f.kill) pool_.restart(targets_.killed);
  }

  void heal_all() {
    for (std::size_t w = 0; w < netns_.size(); ++w) {
      pool_.signal(w, SIGCONT);
      flush(w);
    }
  }

 private:
  void flush(std::size_t w) {
    nft(w, "flush chain inet nercc_fault input");
    nft(w, "flush chain inet nercc_fault output");
  }

  // Names and rules are ours (run_faults.sh's namespace names, fixed rule text): no quoting
  // beyond the '<' above is needed.
  void nft(std::size_t w, const std::string& command) {
    const std::string line = ip_ + " netns exec " + netns_.at(w) + " nft " + command;
    if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + line);
  }

  WorkerPool& pool_;
  std::vector<std::string> netns_;
  std::string ip_;
  int loss_percent_;
  FaultTargets targets_;
};

}  // namespace nercc_cluster
