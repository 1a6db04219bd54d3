// The scheduler's queues: idle tasks in FIFO order, and running
// attempts by the time they become slow.

package scheduler

import (
	"container/heap"
	"time"
)

// taskQueue is a FIFO of tasks; entries whose task is no longer idle are
// skipped on pop.
type taskQueue struct {
	items []*task
	head  int
}

func (q *taskQueue) push(t *task) { q.items = append(q.items, t) }

// ready reports whether the queue holds an idle task, dropping entries
// that are not idle any more from its head.
func (q *taskQueue) ready() bool {
	for q.head < len(q.items) {
		if t := q.items[q.head]; t.state == taskIdle {
			return true
		}
		q.items[q.head].queued = false
		q.items[q.head] = nil
		q.head++
	}
	return false
}

func (q *taskQueue) pop() *task {
	for q.head < len(q.items) {
		t := q.items[q.head]
		q.items[q.head] = nil
		q.head++
		if q.head > 64 && q.head*2 > len(q.items) {
			q.items = append([]*task(nil), q.items[q.head:]...)
			q.head = 0
		}
		t.queued = false
		if t.state == taskIdle {
			return t
		}
	}
	return nil
}

// deadline is when a running attempt becomes slow.
type deadline struct {
	at time.Time
	a  *attempt
}

// deadlineHeap orders running attempts by deadline, earliest first.
type deadlineHeap []deadline

func (h *deadlineHeap) push(d deadline) { heap.Push(h, d) }
func (h *deadlineHeap) pop() deadline   { return heap.Pop(h).(deadline) }

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h deadlineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *deadlineHeap) Push(x any)        { *h = append(*h, x.(deadline)) }
func (h *deadlineHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	*h = old[:len(old)-1]
	return d
}
