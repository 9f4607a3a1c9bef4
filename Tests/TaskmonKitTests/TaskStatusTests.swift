import Testing
import TaskmonKit

@Suite("Task status: names, values and the one transition function")
struct TaskStatusTests {
    @Test("names and numeric values are the reference's")
    func namesAndValues() {
        let expected: [(String, Int)] = [
            ("NOT_SUBMITTED", 0), ("SUBMITTED", 1), ("ASSIGNED", 2), ("RUNNING", 3), ("CANCELING", 4),
            ("INTERRUPTED", 5), ("CANCELED", 6), ("ENVIRONMENT_ERROR", 7), ("COMPLETED", 8), ("TIMED_OUT", 9),
            ("FAILED", 10),
        ]
        #expect(TaskStatus.allCases.map { ($0.name) } == expected.map(\.0))
        #expect(TaskStatus.allCases.map(\.rawValue) == expected.map(\.1))
        for (name, value) in expected {
            #expect(TaskStatus(name: name)?.rawValue == value)
        }
        #expect(TaskStatus(name: "timed-out") == .timedOut)
        #expect(TaskStatus(name: "BOGUS") == nil)
        #expect(CancellationReason.allCases.map(\.name) == ["NONE", "DIRECT", "CONSEQUENTIAL"])
        #expect(CancellationReason.allCases.map(\.rawValue) == [0, 1, 2])
        #expect(JobPriority.allCases.map(\.rawValue) == [0, 1, 2, 3, 4])
        #expect(JobPriority(name: "ABOVE_NORMAL") == .aboveNormal)
        #expect(JobPriority(name: "below-normal") == .belowNormal)
    }

    static let legal: [(TaskStatus, TaskStatus)] = [
        (.notSubmitted, .submitted), (.notSubmitted, .canceled),
        (.submitted, .assigned), (.submitted, .canceled), (.submitted, .environmentError),
        (.assigned, .running), (.assigned, .canceling), (.assigned, .canceled), (.assigned, .environmentError),
        (.assigned, .interrupted), (.assigned, .failed),
        (.running, .completed), (.running, .failed), (.running, .timedOut), (.running, .interrupted), (.running, .canceling),
        (.canceling, .canceled),
        (.interrupted, .submitted), (.interrupted, .canceled),
        (.canceled, .submitted), (.environmentError, .submitted), (.completed, .submitted),
        (.timedOut, .submitted), (.failed, .submitted),
    ]

    @Test("every legal move is allowed", arguments: legal.indices)
    func legalMoves(index: Int) throws {
        let (from, to) = Self.legal[index]
        #expect(from.canMove(to: to))
        #expect(try from.moved(to: to) == to)
    }

    @Test("every other move is refused with IllegalTransition")
    func illegalMoves() {
        let legalSet = Set(Self.legal.map { "\($0.0.name)>\($0.1.name)" })
        var refused = 0
        for from in TaskStatus.allCases {
            for to in TaskStatus.allCases where !legalSet.contains("\(from.name)>\(to.name)") {
                #expect(!from.canMove(to: to), "\(from) → \(to) should be illegal")
                #expect(throws: IllegalTransition(from: from, to: to)) { try from.moved(to: to) }
                refused += 1
            }
        }
        #expect(refused == 121 - Self.legal.count)
    }

    @Test("a few illegal moves named in the issue")
    func namedIllegalMoves() {
        #expect(!TaskStatus.completed.canMove(to: .running))
        #expect(!TaskStatus.failed.canMove(to: .completed))
        #expect(!TaskStatus.canceled.canMove(to: .running))
        #expect(!TaskStatus.submitted.canMove(to: .completed))
        #expect(!TaskStatus.canceling.canMove(to: .running))
        #expect(IllegalTransition(from: .completed, to: .running).description.contains("COMPLETED → RUNNING"))
    }

    @Test("final and active states")
    func finalStates() {
        #expect(TaskStatus.allCases.filter(\.isFinished) == [.canceled, .environmentError, .completed, .timedOut, .failed])
        #expect(TaskStatus.allCases.filter(\.isActive) == [.assigned, .running, .canceling])
    }
}
