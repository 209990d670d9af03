from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views import generic

from polls.models import Choice, Question


def published_questions():
    """Questions whose publication date has come; future ones stay hidden."""
    return Question.objects.filter(pub_date__lte=timezone.now())


class IndexView(generic.ListView):
    template_name = "polls/index.html"
    context_object_name = "latest_question_list"

    def get_queryset(self):
        """The five most recently published questions."""
        return published_questions().order_by("-pub_date")[:5]


class DetailView(generic.DetailView):
    model = Question
    template_name = "polls/detail.html"

    def get_queryset(self):
        return published_questions()


class ResultsView(generic.DetailView):
    model = Question
    template_name = "polls/results.html"

    def get_queryset(self):
        return published_questions()


def vote(request, question_id):
    question = get_object_or_404(published_questions(), pk=question_id)
    try:
        selected_choice = question.choice_set.get(pk=request.POST["choice"])
    except (KeyError, ValueError, Choice.DoesNotExist):
        # Show the voting form again, with a message.
        return render(
            request,
            "polls/detail.html",
            {"question": question, "error_message": "You didn't select a choice."},
        )
    # F() lets the database do the increment, so concurrent votes are not lost.
    selected_choice.votes = F("votes") + 1
    selected_choice.save()
    # Redirect after a successful POST so that reloading the page does not vote twice.
    return HttpResponseRedirect(reverse("polls:results", args=(question.id,)))
