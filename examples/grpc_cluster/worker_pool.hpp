// The cluster demo's worker processes: spawns them (each dies with this process), waits until
// each serves, kills and restarts one, stops and reaps them all.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace nercc_cluster {

/// The worker processes. Each is started with PR_SET_PDEATHSIG, so it dies with this process
/// even if this process is killed; the destructor stops and reaps them.
class WorkerPool {
 public:
  WorkerPool(std::string path, std::vector<std::vector<std::string>> argvs, double ready_seconds)
      : path_(std::move(path)), argvs_(std::move(argvs)), ready_seconds_(ready_seconds) {
    procs_.resize(argvs_.size());
    for (std::size_t i = 0; i < procs_.size(); ++i) spawn(i);
    wait_ready();
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() { stop(); }

  /// Reaps worker i if it died (or kills it) and starts a fresh one on a new port.
  void restart(std::size_t i) {
    Proc& w = procs_[i];
    if (w.pid > 0) {
      ::kill(w.pid, SIGKILL);
      waitpid(w.pid, nullptr, 0);
    }
    if (w.fd >= 0) close(w.fd);
    spawn(i);
    wait_ready();
  }

  std::vector<int> ports() const {
    std::vector<int> p;
    for (const auto& w : procs_) p.push_back(w.port);
    return p;
  }

  void kill_worker(std::size_t i) { signal(i, SIGKILL); }

  /// Sends `sig` to worker i (e.g. SIGSTOP and SIGCONT to freeze and thaw it).
  void signal(std::size_t i, int sig) {
    if (procs_[i].pid > 0) ::kill(procs_[i].pid, sig);
  }

  /// SIGTERM to every worker, SIGKILL to those still running after 5 s; reaps all. Idempotent.
  void stop() {
    for (auto& w : procs_)
      if (w.pid > 0) ::kill(w.pid, SIGTERM);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    for (auto& w : procs_) {
      while (w.pid > 0) {
        if (waitpid(w.pid, nullptr, WNOHANG) != 0) w.pid = -1;
        else if (std::chrono::steady_clock::now() > give_up) ::kill(w.pid, SIGKILL);
        else std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (w.fd >= 0) close(w.fd);
      w.fd = -1;
    }
  }

 private:
  struct Proc {
    pid_t pid = -1;
    int fd = -1;
    int port = 0;
    std::string out;
  };

  void spawn(std::size_t i) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path_.c_str()));
    for (const auto& a : argvs_[i]) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    const pid_t pid = fork();
    if (pid < 0) {
      close(fds[0]);
      close(fds[1]);
      throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      dup2(fds[1], STDOUT_FILENO);
      execv(path_.c_str(), argv.data());
      _exit(127);
    }
    close(fds[1]);
    procs_[i] = Proc{pid, fds[0], 0, {}};
  }

  // Each worker prints "listening PORT" once it serves.
  void wait_ready() {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                                  std::chrono::duration<double>(ready_seconds_));
    for (auto& w : procs_) {
      while (w.port == 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw std::runtime_error("a worker did not start in time");
        pollfd p{w.fd, POLLIN, 0};
        if (poll(&p, 1, int(left.count())) <= 0) continue;
        char buf[128];
        const ssize_t n = read(w.fd, buf, sizeof buf);
        if (n <= 0) throw std::runtime_error("a worker exited before serving (see its message above)");
        w.out.append(buf, std::size_t(n));
        const auto at = w.out.find("listening ");
        if (at != std::string::npos && w.out.find('\n', at) != std::string::npos)
          w.port = std::atoi(w.out.c_str() + at + 10);
      }
    }
  }

  std::string path_;
  std::vector<std::vector<std::string>> argvs_;
  double ready_seconds_;
  std::vector<Proc> procs_;
};

}  // namespace nercc_cluster
