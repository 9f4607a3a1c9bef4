import TaskmonKit

/// The jobs `taskmon demo` submits: together they make every task status happen for real.
///
/// Each function is one job and says which statuses it shows. The tasks are `sh -c` scripts
/// (POSIX sh, so they run anywhere) that report through the `taskmon task …` helpers, the way a
/// user's own shell tasks would; the scheduler puts taskmon's folder first on their PATH.
///
/// The timeline assumes ``slots`` host processes at once. Priorities order it: the quick `high`
/// and `above_normal` jobs take the slots first and end within ~15 s, then the long `normal`
/// render job takes three slots for 4–6 minutes, and the `low` backlog trickles through the
/// fourth slot, so most of it stays SUBMITTED for minutes.
///
/// NOT_SUBMITTED never shows: a task is submitted together with its job, so the scheduler
/// never holds one that is not submitted (the status exists for the reference model's clients,
/// which build a job before submitting it).
enum DemoWorkload {
    /// Slots the embedded scheduler runs with; the timeline above is built for it.
    static let slots = 4

    /// Seconds between SIGTERM and SIGKILL on cancel. Well over ``deployCanary()``'s rollback
    /// (~4 s, more on a loaded machine), so that task leaves CANCELING by itself rather than
    /// being killed. It also bounds how long quitting the demo can take.
    static let killGrace = 30.0

    /// The message the demo cancels ``deployCanary()`` with; the task ends with
    /// "Canceled by USER: " + this.
    static let cancelMessage = "canary error rate 4.2% > 1%, rolling back"

    /// How long ``deployCanary()`` runs before the demo cancels it, in seconds.
    static let cancelAfter = 5.0

    /// Every job, in submission order (which is also the dispatch order within a priority).
    static func jobs() -> [JobSpec] {
        [
            deployCanary(), thumbnails(), importOrders(), trainModel(), slowQuery(),
            resizeShards(), fetchDataset(), legacyConverter(),
            renderFrames(), archiveLogs(),
        ]
    }

    /// Shorthand for a task that runs a shell script.
    private static func sh(_ name: String, _ script: String, env: [String: String] = [:]) -> TaskSpec {
        TaskSpec(name: name, command: ["sh", "-c", script], env: env)
    }

    // MARK: - The quick jobs (high priority): done within ~15 s

    /// RUNNING with progress, then **CANCELING** for ~4 s and **CANCELED** (reason DIRECT):
    /// the demo itself cancels it after ``cancelAfter`` seconds, as a user would
    /// (see ``DemoDirector``). It traps SIGTERM and takes a few seconds to roll back, which is
    /// what keeps it CANCELING.
    static func deployCanary() -> JobSpec {
        JobSpec(
            name: "deploy-canary", description: "rolls out a build; the demo cancels it (DIRECT) and it rolls back (CANCELING)",
            priority: .high,
            tasks: [
                sh("rollout", #"""
                trap 'echo "SIGTERM: rolling back the canary" >&2
                      for step in 1 2 3 4; do
                        echo "rollback step $step of 4"; taskmon task progress $((step * 25)) "rolling back"; sleep 1
                      done
                      echo "rolled back"; exit 143' TERM
                echo "deploying build 7f3c2e to 40 canary hosts"
                i=0
                while [ $i -lt 40 ]; do
                  i=$((i + 1))
                  taskmon task progress $((i * 100 / 40)) "host $i of 40 updated"
                  sleep 1
                done
                echo "all hosts updated"
                """#),
            ])
    }

    /// **COMPLETED** with a result and one property of each type (string, int, float, bytes);
    /// its output has an ANSI-coloured line, a `\r` progress bar and a warning on stderr.
    static func thumbnails() -> JobSpec {
        JobSpec(
            name: "thumbnails", description: "completes with a result and properties of all four types",
            priority: .high,
            tasks: [
                sh("make-thumbnails", #"""
                echo "making thumbnails for album summer-2026 (120 photos)"
                taskmon task set-property album summer-2026
                taskmon task set-property images 120 --type int
                n=0
                for bar in '[##        ]  20%' '[####      ]  40%' '[######    ]  60%' '[########  ]  80%' '[##########] 100%'; do
                  n=$((n + 20))
                  printf '\rresizing %s' "$bar"
                  taskmon task progress $n "$((n * 120 / 100)) of 120 photos"
                  sleep 0.5
                done
                printf '\n'
                echo "warning: IMG_0042.jpg has no EXIF date; used the file's time" >&2
                taskmon task set-property seconds_per_image 0.0314 --type float
                taskmon task set-property cover_png_header iVBORw0KGgoAAAANSUhEUg== --type bytes
                printf '\033[32m✔\033[0m 120 thumbnails written to \033[1mthumbs/summer-2026.zip\033[0m\n'
                taskmon task result thumbs/summer-2026.zip --type path
                """#),
            ])
    }

    /// **FAILED** with an exception and a multi-line trace (reported with
    /// `taskmon task exception … --trace`, then a non-zero exit); its properties were set
    /// before it failed and are kept.
    static func importOrders() -> JobSpec {
        JobSpec(
            name: "import-orders", description: "fails with a Python-style exception and trace; keeps its properties",
            priority: .high,
            tasks: [
                sh("import-csv", #"""
                echo "reading orders.csv"
                taskmon task set-property source orders.csv
                taskmon task set-property rows_read 1841 --type int
                taskmon task set-property error_rate 0.00054 --type float
                taskmon task progress 60 "row 1841 of 3070"
                sleep 2
                echo "row 1842: quantity 'twelve' is not a number" >&2
                taskmon task exception ValueError "invalid literal for int() with base 10: 'twelve'" --trace 'Traceback (most recent call last):
                  File "import_orders.py", line 88, in <module>
                    main()
                  File "import_orders.py", line 41, in main
                    quantity = int(row["quantity"])
                ValueError: invalid literal for int() with base 10: "twelve"'
                exit 1
                """#),
            ])
    }

    /// **ASSIGNED** for ~2 s while its environment setup runs, then **ENVIRONMENT_ERROR** for
    /// both tasks when the setup fails (message on stderr); the tasks never run.
    static func trainModel() -> JobSpec {
        JobSpec(
            name: "train-model", description: "its environment setup finds no GPU: every task is ENVIRONMENT_ERROR",
            priority: .high,
            environment: EnvironmentSpec(setup: ["sh", "-c", #"""
                echo "checking for a CUDA device"
                sleep 2
                echo "nvidia-smi: command not found" >&2
                echo "error: this job needs a CUDA device and none was found" >&2
                exit 1
                """#]),
            tasks: [
                sh("epoch-1", "echo 'never runs: the setup failed'"),
                sh("epoch-2", "echo 'never runs: the setup failed'"),
            ])
    }

    /// **TIMED_OUT**: runs longer than its job's 3 s task timeout and is killed.
    static func slowQuery() -> JobSpec {
        JobSpec(
            name: "slow-query", description: "runs past its 3 s task timeout",
            priority: .high, taskTimeout: 3,
            tasks: [
                sh("daily-report", #"""
                echo "SELECT day, count(*) FROM events JOIN sessions USING (session_id) GROUP BY day"
                taskmon task progress 5 "scanning events"
                sleep 60
                """#),
            ])
    }

    // MARK: - Above normal: faults and consequences

    /// **CANCELED** with reason CONSEQUENTIAL: `cancel_on_task_failure`, and shard-3 fails after
    /// ~3 s, which cancels shard-1 and shard-2 (through CANCELING when they run, at once when
    /// they still wait).
    static func resizeShards() -> JobSpec {
        let shard = #"""
            echo "shard $SHARD: resizing 500 files"
            i=0
            while [ $i -lt 60 ]; do
              i=$((i + 1))
              taskmon task progress $((i * 100 / 60)) "$((i * 500 / 60)) of 500 files"
              sleep 1
            done
            """#
        return JobSpec(
            name: "resize-shards", description: "cancel_on_task_failure: one shard fails, the others are canceled (CONSEQUENTIAL)",
            priority: .aboveNormal, cancelOnTaskFailure: true,
            tasks: [
                sh("shard-1", shard, env: ["SHARD": "1"]),
                sh("shard-2", shard, env: ["SHARD": "2"]),
                sh("shard-3", #"""
                echo "shard 3: resizing 500 files"
                taskmon task progress 10 "50 of 500 files"
                sleep 3
                echo "shard 3: checksum mismatch in part-0007.bin" >&2
                exit 2
                """#),
            ])
    }

    /// **INTERRUPTED**, then queued again and **COMPLETED**: the first attempt kills itself with
    /// SIGKILL (a crash the task did not ask for), the second (`$TASKMON_ATTEMPT` = 2) succeeds.
    static func fetchDataset() -> JobSpec {
        JobSpec(
            name: "fetch-dataset", description: "attempt 1 is killed by SIGKILL (INTERRUPTED), attempt 2 completes",
            priority: .aboveNormal, maxInterruptedRetries: 2,
            tasks: [
                sh("download", #"""
                echo "attempt $TASKMON_ATTEMPT: downloading dataset.tar (2.1 GB)"
                taskmon task progress 30 "attempt $TASKMON_ATTEMPT: 0.6 of 2.1 GB"
                sleep 2
                if [ "$TASKMON_ATTEMPT" = 1 ]; then
                  echo "the download process crashes (SIGKILL)" >&2
                  kill -KILL $$
                fi
                taskmon task progress 100 "2.1 of 2.1 GB"
                echo "attempt $TASKMON_ATTEMPT: done"
                taskmon task result dataset.tar --type path
                """#),
            ])
    }

    /// **INTERRUPTED** for good: killed by SIGKILL with `max_interrupted_retries` 0, so it is not
    /// queued again.
    static func legacyConverter() -> JobSpec {
        JobSpec(
            name: "legacy-converter", description: "killed by SIGKILL with no retries left: stays INTERRUPTED",
            priority: .aboveNormal, maxInterruptedRetries: 0,
            tasks: [
                sh("convert-doc", #"""
                echo "converting report-1998.doc"
                taskmon task progress 40 "page 12 of 30"
                sleep 2
                echo "the converter crashes (SIGKILL)" >&2
                kill -KILL $$
                """#),
            ])
    }

    // MARK: - The long ones

    /// **RUNNING** with progress for 4–6 minutes (three scenes, one frame a second), after
    /// **ASSIGNED** for ~2 s while the job's setup fetches textures.
    static func renderFrames() -> JobSpec {
        let scene = #"""
            echo "scene $SCENE: rendering $FRAMES frames at 1920x1080"
            i=0
            while [ $i -lt "$FRAMES" ]; do
              i=$((i + 1))
              taskmon task progress $((i * 100 / FRAMES)) "frame $i of $FRAMES"
              if [ $((i % 30)) -eq 0 ]; then echo "frame $i of $FRAMES done"; fi
              sleep 1
            done
            printf '\033[32mscene %s rendered\033[0m\n' "$SCENE"
            taskmon task result "frames/scene-$SCENE/" --type path
            """#
        return JobSpec(
            name: "render-frames", description: "three long tasks reporting progress every second",
            priority: .normal,
            environment: EnvironmentSpec(setup: ["sh", "-c", "echo 'fetching textures (2 s)'; sleep 2; echo 'textures ready'"]),
            tasks: [
                sh("scene-1", scene, env: ["SCENE": "1", "FRAMES": "240"]),
                sh("scene-2", scene, env: ["SCENE": "2", "FRAMES": "300"]),
                sh("scene-3", scene, env: ["SCENE": "3", "FRAMES": "360"]),
            ])
    }

    /// **SUBMITTED** for minutes: a low-priority backlog of 12 tasks of ~15 s that waits behind
    /// everything else and then runs through the one slot the render job leaves free.
    static func archiveLogs() -> JobSpec {
        let script = #"""
            echo "compressing logs of 2026-11-$DAY"
            i=0
            while [ $i -lt 15 ]; do
              i=$((i + 1))
              taskmon task progress $((i * 100 / 15)) "$((i * 64 / 15)) of 64 MB"
              sleep 1
            done
            taskmon task result "logs-2026-11-$DAY.tar.zst" --type path
            """#
        return JobSpec(
            name: "archive-logs", description: "a low-priority backlog that waits behind the busy slots",
            priority: .low,
            tasks: (1...12).map { day in
                let label = day < 10 ? "0\(day)" : "\(day)"
                return sh("day-\(label)", script, env: ["DAY": label])
            })
    }
}
