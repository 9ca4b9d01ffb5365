// Command cron-oracle answers questions about CronJob schedules with the real
// github.com/robfig/cron/v3 (the library kube-controller-manager uses), so the
// Python port in kubectl_batch/domain/cron.py can be tested against it.
//
// It reads one JSON object per line on stdin and writes one JSON object per
// line on stdout. Requests:
//
//	{"op":"next","schedule":S,"tz":Z,"after":RFC3339,"count":N}
//	{"op":"recent","schedule":S,"tz":Z,"anchor":RFC3339,"now":RFC3339,"sds":N|null}
//
// "tz" is spec.timeZone ("" = unset: computed in UTC, i.e. a controller
// whose local zone is UTC). The schedule is first validated like the API
// server does (validateScheduleFormat + validateTimeZone, copied below from
// k8s.io/kubernetes v1.36.3 pkg/apis/batch/validation), then parsed like the
// controller does (formatSchedule: "TZ=<zone> <schedule>"). Instants in
// answers are [unixSeconds, nanoseconds] or null for Go's zero Time.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

type request struct {
	Op       string `json:"op"`
	Schedule string `json:"schedule"`
	TZ       string `json:"tz"`
	After    string `json:"after"`
	Count    int    `json:"count"`
	Anchor   string `json:"anchor"`
	Now      string `json:"now"`
	SDS      *int64 `json:"sds"`
}

type response struct {
	Error string `json:"error,omitempty"`
	// robfig's Next did not return within hangTimeout (it loops forever for
	// some zones that skip a whole day).
	Hang bool `json:"hang,omitempty"`
	// op=next
	Times  [][2]int64 `json:"times,omitempty"`
	GaveUp bool       `json:"gave_up,omitempty"`
	// op=recent
	Earliest    *[2]int64 `json:"earliest,omitempty"`
	MostRecent  *[2]int64 `json:"most_recent,omitempty"`
	Missed      string    `json:"missed,omitempty"`
	RecentError string    `json:"recent_error,omitempty"`
	Due         *[2]int64 `json:"due,omitempty"`
	DueError    string    `json:"due_error,omitempty"`
	TooMany     bool      `json:"too_many,omitempty"`
	RequeueNs   *int64    `json:"requeue_ns,omitempty"`
}

func instant(t time.Time) *[2]int64 {
	if t.IsZero() {
		return nil
	}
	return &[2]int64{t.Unix(), int64(t.Nanosecond())}
}

// parseWithPanicRecovery is k8s.io/kubernetes/pkg/util/parsers.ParseCronScheduleWithPanicRecovery.
func parseWithPanicRecovery(schedule string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched = nil
			err = fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	sched, err = cron.ParseStandard(schedule)
	return
}

// validTimeZoneCharacters and validateTimeZone: pkg/apis/batch/validation.
var validTimeZoneCharacters = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

func validateTimeZone(timeZone string) error {
	if len(timeZone) == 0 {
		return fmt.Errorf("timeZone must be nil or non-empty string")
	}
	for _, part := range strings.Split(timeZone, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZoneCharacters.MatchString(part) {
			return fmt.Errorf("unknown time zone %s", timeZone)
		}
	}
	if strings.EqualFold(timeZone, "Local") {
		return fmt.Errorf("timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")
	}
	if _, err := time.LoadLocation(timeZone); err != nil {
		return err
	}
	return nil
}

// validate mirrors validateCronJobSpec for schedule and timeZone on create.
func validate(schedule, tz string) error {
	if len(schedule) == 0 {
		return fmt.Errorf("schedule: Required value")
	}
	if _, err := parseWithPanicRecovery(schedule); err != nil {
		return err
	}
	if strings.Contains(schedule, "TZ") {
		return fmt.Errorf("cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
	}
	if tz != "" {
		if err := validateTimeZone(tz); err != nil {
			return err
		}
	}
	return nil
}

// controllerSchedule is what kube-controller-manager parses (formatSchedule).
func controllerSchedule(schedule, tz string) (cron.Schedule, error) {
	if tz != "" {
		schedule = fmt.Sprintf("TZ=%s %s", tz, schedule)
	}
	return parseWithPanicRecovery(schedule)
}

const (
	noneMissed = "none"
	fewMissed  = "few"
	manyMissed = "many"
)

// mostRecentScheduleTime is pkg/controller/cronjob/utils.go at v1.36.3 with
// the CronJob replaced by its fields (earliestTime = lastScheduleTime or
// creationTimestamp, chosen by the caller).
func mostRecentScheduleTime(earliestTime time.Time, startingDeadlineSeconds *int64, now time.Time, schedule cron.Schedule, includeStartingDeadlineSeconds bool) (time.Time, *time.Time, string, error) {
	missedSchedules := noneMissed
	if includeStartingDeadlineSeconds && startingDeadlineSeconds != nil {
		schedulingDeadline := now.Add(-time.Second * time.Duration(*startingDeadlineSeconds))
		if schedulingDeadline.After(earliestTime) {
			earliestTime = schedulingDeadline
		}
	}

	t1 := schedule.Next(earliestTime)
	t2 := schedule.Next(t1)

	if now.Before(t1) {
		return earliestTime, nil, missedSchedules, nil
	}
	if now.Before(t2) {
		return earliestTime, &t1, missedSchedules, nil
	}
	timeBetweenTwoSchedules := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if timeBetweenTwoSchedules < 1 {
		return earliestTime, nil, missedSchedules, fmt.Errorf("time difference between two schedules is less than 1 second")
	}
	timeElapsed := int64(now.Sub(t1).Seconds())
	numberOfMissedSchedules := (timeElapsed / timeBetweenTwoSchedules) + 1

	var mostRecentTime time.Time
	potentialEarliest := t1.Add(time.Duration((numberOfMissedSchedules-1-1)*timeBetweenTwoSchedules) * time.Second)
	iterations := 0
	for t := schedule.Next(potentialEarliest); !t.After(now); t = schedule.Next(t) {
		// Not in the controller: it would spin forever here once Next gives up.
		if t.IsZero() || iterations > 1000000 {
			return earliestTime, nil, missedSchedules, fmt.Errorf("oracle: endless loop")
		}
		iterations++
		mostRecentTime = t
	}

	switch {
	case numberOfMissedSchedules > 100:
		missedSchedules = manyMissed
	case numberOfMissedSchedules > 0:
		missedSchedules = fewMissed
	}

	if mostRecentTime.IsZero() {
		return earliestTime, nil, missedSchedules, nil
	}
	return earliestTime, &mostRecentTime, missedSchedules, nil
}

const nextScheduleDelta = 100 * time.Millisecond

func nextScheduleTimeDuration(earliest time.Time, now time.Time, schedule cron.Schedule) time.Duration {
	earliestTime, mostRecentTime, missedSchedules, err := mostRecentScheduleTime(earliest, nil, now, schedule, false)
	if err != nil {
		mostRecentTime = &now
	} else if mostRecentTime == nil {
		if missedSchedules == noneMissed {
			mostRecentTime = &earliestTime
		} else {
			mostRecentTime = &now
		}
	}
	return schedule.Next(*mostRecentTime).Add(nextScheduleDelta).Sub(now)
}

func nextScheduleTime(earliest time.Time, sds *int64, now time.Time, schedule cron.Schedule) (*time.Time, bool, error) {
	_, mostRecentTime, missedSchedules, err := mostRecentScheduleTime(earliest, sds, now, schedule, true)
	if mostRecentTime == nil || mostRecentTime.After(now) {
		return nil, false, err
	}
	return mostRecentTime, missedSchedules == manyMissed, err
}

func handle(req request) response {
	if err := validate(req.Schedule, req.TZ); err != nil {
		return response{Error: err.Error()}
	}
	sched, err := controllerSchedule(req.Schedule, req.TZ)
	if err != nil {
		return response{Error: "controller: " + err.Error()}
	}
	parse := func(s string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return t, err
		}
		if req.TZ == "" {
			t = t.UTC()
		}
		return t, nil
	}
	switch req.Op {
	case "", "next":
		t, err := parse(req.After)
		if err != nil {
			return response{Error: "bad request: " + err.Error()}
		}
		resp := response{Times: [][2]int64{}}
		for i := 0; i < req.Count; i++ {
			t = sched.Next(t)
			if t.IsZero() {
				resp.GaveUp = true
				break
			}
			resp.Times = append(resp.Times, *instant(t))
		}
		return resp
	case "recent":
		anchor, err := parse(req.Anchor)
		if err != nil {
			return response{Error: "bad request: " + err.Error()}
		}
		now, err := parse(req.Now)
		if err != nil {
			return response{Error: "bad request: " + err.Error()}
		}
		earliest, mostRecent, missed, rerr := mostRecentScheduleTime(anchor, req.SDS, now, sched, true)
		resp := response{Earliest: instant(earliest), Missed: missed}
		if mostRecent != nil {
			resp.MostRecent = instant(*mostRecent)
		}
		if rerr != nil {
			resp.RecentError = rerr.Error()
		}
		due, tooMany, derr := nextScheduleTime(anchor, req.SDS, now, sched)
		if due != nil {
			resp.Due = instant(*due)
		}
		if derr != nil {
			resp.DueError = derr.Error()
		}
		resp.TooMany = tooMany
		if derr == nil || !strings.HasPrefix(derr.Error(), "oracle:") {
			d := int64(nextScheduleTimeDuration(anchor, now, sched))
			resp.RequeueNs = &d
		}
		return resp
	}
	return response{Error: "bad request: unknown op " + req.Op}
}

func main() {
	time.Local = time.UTC
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			_ = enc.Encode(response{Error: "bad request: " + err.Error()})
			continue
		}
		_ = enc.Encode(handleWithTimeout(req))
	}
}

const hangTimeout = 2 * time.Second

// handleWithTimeout reports a request whose computation never finishes. The
// stuck goroutine keeps spinning until the process exits.
func handleWithTimeout(req request) response {
	done := make(chan response, 1)
	go func() { done <- handle(req) }()
	select {
	case resp := <-done:
		return resp
	case <-time.After(hangTimeout):
		return response{Hang: true}
	}
}
