import Foundation
import TaskmonKit

// Submit a job from Swift, follow its events, and read its tasks back.
// The scheduler is the one of --state-dir / $TASKMON_STATE_DIR (start it with `taskmon serve`).
let client = try SchedulerClient.connect(StateDirectory.resolve())

// Subscribe before submitting, so that no event of the job can be missed.
let events = try client.subscribe(afterSeq: nil)

let spec = JobSpec(name: "hello from Swift", tasks: [
    TaskSpec(name: "greet", command: ["sh", "-c", "echo hello from a task"]),
    TaskSpec(name: "break", command: ["sh", "-c", "echo something went wrong >&2; exit 3"]),
])
let jobID = try client.submit(spec).jobID

following: for try await message in events {
    guard case .event(let event) = message else { continue }
    switch event.body {
    case .taskStatusChanged(let change) where change.jobID == jobID:
        print("task \(change.taskID) (\(change.name)): \(change.previous.name) -> \(change.status.name)")
    case .jobCompleted(let job) where job.id == jobID:
        print("job \(jobID) done: \(job.count(.completed)) completed, \(job.count(.failed)) failed")
        break following
    default:
        continue
    }
}
events.cancel()

for index in 0..<spec.tasks.count {
    let task = try client.task(jobID, index)
    print("\(task.name): \(task.status.name), stdout \(task.standardOutput?.debugDescription ?? "-"), exception \(task.exception.map { "\($0.type): \($0.message)" } ?? "none")")
}
