import TaskmonKit
